// The sample app's HTTP server under attack, as a real process against a real single-node Kafka broker:
// slow clients, a flood of large bodies, cross-site and DNS-rebinding requests, bad bodies and a huge
// stream table, and the app's network surface (the POST token, who may read it, the metrics listener). Every
// loop is bounded in count and time and talks to this machine only (127.0.0.1, and its own non-loopback
// address to be a peer that is not the pod itself).
import { strict as assert } from "node:assert";
import * as http from "node:http";
import * as net from "node:net";
import { networkInterfaces } from "node:os";
import pidusage from "pidusage";
import { Kafka, logLevel } from "../../sample-app/node_modules/kafkajs";
import type { Stats } from "../../sample-app/src/app";
import { loadConfig } from "../../sample-app/src/config";
import { HTTP_PORT, METRICS_PORT } from "../../sample-app/src/contract";
import { startKafkaBroker, type KafkaBroker } from "../support/kafka";
import { AppProcess, ensureBuilt, waitFor } from "./app-process";
import { createTopic, readTopic, uniqueName } from "./topics";
import { launchBrowser } from "./browser";

const PARTITIONS = 6;
const HEADERS_TIMEOUT_MS = 2000;
const REQUEST_TIMEOUT_MS = 4000;
/** The default cap, so that the memory measured is what a pod gets. */
const MAX_BODIES = loadConfig({ KAFKA_BROKERS: "127.0.0.1:9" }).httpMaxBodies;
const MAX_STREAMS = 100_000;
/** The pod's memory limit (components/sampleApp.ts). */
const POD_MEMORY_LIMIT = 256 * 1024 ** 2;
const MiB = 1024 ** 2;

interface Answer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** One request to the app with exactly these headers (fetch would not let a test set Host), from `from` (default 127.0.0.1). */
function request(
  port: number,
  opts: { method?: string; path: string; headers?: Record<string, string | number>; body?: string | Buffer; from?: string },
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: opts.from ?? "127.0.0.1",
        port,
        method: opts.method ?? "GET",
        path: opts.path,
        headers: { host: `localhost:${port}`, ...opts.headers },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString() }));
        res.on("error", reject);
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error(`no answer to ${opts.method ?? "GET"} ${opts.path} in 30 s`)));
    req.on("error", reject);
    req.end(opts.body);
  });
}

/** Samples the process's resident set every 100 ms while `during` runs; returns the peak. */
async function peakRss<T>(pid: number, during: () => Promise<T>): Promise<{ result: T; peak: number }> {
  let peak = (await pidusage(pid)).memory;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      peak = Math.max(peak, (await pidusage(pid)).memory);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  try {
    return { result: await during(), peak };
  } finally {
    sampling = false;
    await sampler;
    pidusage.clear();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("sample app HTTP server under abuse", function () {
  this.timeout(180_000);
  let broker: KafkaBroker;
  let app: AppProcess;
  let port: number;
  let topic: string;
  /** Keys of the requests the app answered 201, with the messages sent under each (no key is in two requests). */
  const acknowledged = new Map<string, number>();
  /** Keys of requests the app must have refused; none may be in the topic. */
  const refusedKeys: string[] = [];

  /** The header that carries the app's POST token. */
  const auth = () => ({ authorization: `Bearer ${app.postToken}` });

  async function post(body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
    return request(port, {
      method: "POST",
      path: "/messages",
      headers: { "content-type": "application/json", ...auth(), ...headers },
      body: JSON.stringify(body),
    });
  }

  before(async function () {
    this.timeout(300_000);
    ensureBuilt();
    broker = await startKafkaBroker({ partitionsDefault: PARTITIONS });
    topic = uniqueName("abuse");
    await createTopic(broker.bootstrap, topic, PARTITIONS);
    app = new AppProcess({
      KAFKA_BROKERS: broker.bootstrap,
      KAFKA_TOPIC: topic,
      KAFKA_GROUP_ID: topic,
      APP_ROLE: "both",
      PRODUCE_RATE: "0",
      MAX_STREAMS: String(MAX_STREAMS),
      HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
      HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
    });
    port = Number(new URL(await app.url()).port);
    await waitFor("ready", async () => (await request(port, { path: "/readyz" })).status === 200, 60_000);
  });

  after(async () => {
    app?.kill();
    await broker?.dispose();
  });

  it("cuts off clients that send headers or a body one byte at a time, and keeps answering probes meanwhile", async () => {
    const SLOW = 50;
    const slow = (what: "headers" | "body") =>
      new Promise<{ what: string; closedAfterMs: number; answer: string }>((resolve, reject) => {
        const socket = net.connect(port, "127.0.0.1");
        const opened = Date.now();
        let answer = "";
        let timer: NodeJS.Timeout | undefined;
        socket.on("data", (c) => (answer += c.toString()));
        socket.on("error", () => undefined);
        socket.on("close", () => {
          clearInterval(timer);
          resolve({ what, closedAfterMs: Date.now() - opened, answer: answer.split("\r\n")[0] });
        });
        socket.on("connect", () => {
          socket.write(
            what === "headers"
              ? `GET /api/stats HTTP/1.1\r\nHost: localhost:${port}\r\n`
              : `POST /messages HTTP/1.1\r\nHost: localhost:${port}\r\nauthorization: ${auth().authorization}\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n`,
          );
          // One byte every 200 ms for at most 15 s: a cut-off within the timeout ends it far sooner.
          let sent = 0;
          timer = setInterval(() => {
            if (sent++ >= 75) {
              clearInterval(timer);
              socket.destroy();
              reject(new Error(`${what}: still connected after 15 s of one byte every 200 ms`));
            } else socket.write(what === "headers" ? "X" : " ");
          }, 200);
        });
      });
    const clients = [...Array.from({ length: SLOW }, () => slow("headers")), ...Array.from({ length: SLOW }, () => slow("body"))];
    await sleep(500);
    const probe = await request(port, { path: "/healthz", headers: { host: `10.244.0.17:${HTTP_PORT}` } });
    assert.equal(probe.status, 200, "the liveness probe is answered while slow clients hold connections");
    const results = await Promise.all(clients);
    const by = (what: string) => results.filter((r) => r.what === what).map((r) => r.closedAfterMs);
    const [headers, body] = [by("headers"), by("body")];
    console.log(
      `    ${SLOW} slow-header clients cut off after ${Math.min(...headers)}-${Math.max(...headers)} ms (timeout ${HEADERS_TIMEOUT_MS}), ` +
        `${SLOW} slow-body clients after ${Math.min(...body)}-${Math.max(...body)} ms (timeout ${REQUEST_TIMEOUT_MS}); ` +
        `answers: ${[...new Set(results.map((r) => r.answer || "(closed)"))].join(", ")}`,
    );
    // Node checks for expired requests once per connectionsCheckingInterval; the app sets it to 1 s.
    for (const ms of headers) assert.ok(ms <= HEADERS_TIMEOUT_MS + 2000, `slow headers cut off after ${ms} ms`);
    for (const ms of body) assert.ok(ms <= REQUEST_TIMEOUT_MS + 2000, `slow body cut off after ${ms} ms`);
  });

  it(`refuses request bodies beyond HTTP_MAX_BODIES=${MAX_BODIES} at once with 503 and Retry-After, staying well within the pod's 256 MiB`, async () => {
    const CLIENTS = 48;
    // Just under 1 MiB of valid JSON: 1000 messages of ~1 KiB, each under its own key so that they spread over
    // the partitions (under one key they would make one record batch above the broker's 1 MB message limit).
    const value = "v".repeat(1000);
    const keysOf = (i: number) => Array.from({ length: 1000 }, (_, j) => `flood-${i}-${j}`);
    const bodyOf = (i: number) => Buffer.from(JSON.stringify({ messages: keysOf(i).map((key) => ({ key, value })) }));
    const flood = (i: number) =>
      new Promise<Answer & { key: string }>((resolve, reject) => {
        const key = `flood-${i}`;
        const body = bodyOf(i);
        assert.ok(body.length > 0.98 * MiB && body.length <= MiB, `body of ${body.length} bytes`);
        const req = http.request(
          {
            host: "127.0.0.1",
            port,
            method: "POST",
            path: "/messages",
            headers: { host: `localhost:${port}`, ...auth(), "content-type": "application/json", "content-length": body.length },
            agent: false,
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () => resolve({ key, status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString() }));
          },
        );
        req.setTimeout(60_000, () => req.destroy(new Error(`${key}: no answer in 60 s`)));
        req.on("error", reject);
        // In 16 pieces 50 ms apart, so every client's body is on its way at the same time.
        void (async () => {
          for (let off = 0; off < body.length && !req.destroyed; off += 64 * 1024) {
            req.write(body.subarray(off, off + 64 * 1024));
            await sleep(50);
          }
          req.end();
        })();
      });
    const before = (await pidusage(app.pid)).memory;
    const { result: answers, peak } = await peakRss(app.pid, () =>
      Promise.all(
        Array.from({ length: CLIENTS }, (_, i) =>
          flood(i).catch((err: Error) => ({ key: `flood-${i}`, status: -1, headers: {} as http.IncomingHttpHeaders, body: err.message })),
        ),
      ),
    );
    const count = (status: number) => answers.filter((a) => a.status === status).length;
    const busy = answers.filter((a) => a.status === 503 && a.body.includes("HTTP_MAX_BODIES"));
    console.log(
      `    ${CLIENTS} x 1 MiB bodies at once: ${count(201)}x201, ${count(503)}x503 (${busy.length} for HTTP_MAX_BODIES), ` +
        `${answers.length - count(201) - count(503)} other; RSS ${(before / MiB).toFixed(0)} MiB before, peak ${(peak / MiB).toFixed(0)} MiB`,
    );
    for (const a of answers) if (a.status === 201) for (const key of keysOf(Number(a.key.slice("flood-".length)))) acknowledged.set(key, 1);
    assert.deepEqual(
      answers.filter((a) => a.status !== 201 && a.status !== 503).map((a) => `${a.key}: ${a.status} ${a.body.slice(0, 200)}`),
      [],
      "only 201 (acknowledged) or 503 (refused, retry later)",
    );
    assert.ok(
      answers.filter((a) => a.status === 503).every((a) => Number(a.headers["retry-after"]) > 0),
      "every 503 says when to retry",
    );
    // Every client starts at once and sends for ~0.8 s, so those beyond the cap find it full (a few may
    // come in just as a slot frees).
    assert.ok(busy.length >= CLIENTS - 2 * MAX_BODIES, `${busy.length} of ${CLIENTS} refused for the body cap`);
    assert.ok(count(201) > 0, "bodies within the cap are still served");
    assert.ok(peak < 0.75 * POD_MEMORY_LIMIT, `peak RSS ${(peak / MiB).toFixed(0)} MiB`);
  });

  it("refuses a cross-origin POST /messages (CSRF) and accepts the dashboard's own origin", async () => {
    const evil = await post({ key: "csrf-evil", value: "x" }, { origin: "http://evil.example", "content-type": "text/plain" });
    const opaque = await post({ key: "csrf-null", value: "x" }, { origin: "null", "content-type": "text/plain" });
    const otherPort = await post({ key: "csrf-port", value: "x" }, { origin: `http://localhost:${port + 1}` });
    refusedKeys.push("csrf-evil", "csrf-null", "csrf-port");
    for (const [what, a] of Object.entries({ evil, opaque, otherPort })) {
      assert.equal(a.status, 403, `${what}: ${a.status} ${a.body}`);
      assert.match(JSON.parse(a.body).error, /origin/i);
    }
    const own = await post({ key: "same-origin", value: "x" }, { origin: `http://localhost:${port}` });
    assert.equal(own.status, 201, own.body);
    acknowledged.set("same-origin", 1);
    const noOrigin = await post({ key: "no-origin", value: "x" });
    assert.equal(noOrigin.status, 201, `a client that is no browser sends no Origin: ${noOrigin.body}`);
    acknowledged.set("no-origin", 1);
  });

  it("refuses a foreign Host (DNS rebinding) except on the kubelet's probes and the metrics listener", async () => {
    const statusOf = async (path: string, host: string) => (await request(port, { path, headers: { host } })).status;
    for (const host of [`evil.example:${port}`, "evil.example", `sample-app.com:${HTTP_PORT}`, `localhost.evil.example:${port}`]) {
      for (const path of ["/", "/api/stats", "/app.js"]) assert.equal(await statusOf(path, host), 403, `${path} with Host ${host}`);
    }
    const rebound = await request(port, {
      method: "POST",
      path: "/messages",
      headers: { host: `evil.example:${port}`, ...auth(), "content-type": "application/json" },
      body: '{"key":"rebound","value":"x"}',
    });
    assert.equal(rebound.status, 403, rebound.body);
    refusedKeys.push("rebound");
    // The Service's name as components/sampleApp.ts gives it, in the forms a pod in the cluster may use.
    for (const host of [
      `localhost:${port}`,
      `127.0.0.1:${port}`,
      `[::1]:${port}`,
      `sample-app:${HTTP_PORT}`,
      `sample-app.kafka.svc.cluster.local:${HTTP_PORT}`,
    ]) {
      assert.equal(await statusOf("/api/stats", host), 200, `/api/stats with Host ${host}`);
    }
    for (const path of ["/healthz", "/readyz"])
      assert.equal(await statusOf(path, `10.244.0.17:${HTTP_PORT}`), 200, `${path} with a pod IP as Host`);
    const metricsPort = Number(new URL(await app.metricsUrl()).port);
    const scraped = await request(metricsPort, { path: "/metrics", headers: { host: `10.244.0.17:${METRICS_PORT}` } });
    assert.equal(scraped.status, 200, "Prometheus scrapes the metrics port by the pod's IP");
  });

  it("writes only with the stack's token, which only the port-forward's own page is given", async () => {
    const bare = await request(port, {
      method: "POST",
      path: "/messages",
      headers: { "content-type": "application/json" },
      body: '{"key":"no-token","value":"x"}',
    });
    const wrong = await post({ key: "wrong-token", value: "x" }, { authorization: `Bearer ${"0".repeat(64)}` });
    const basic = await post({ key: "basic-token", value: "x" }, { authorization: `Basic ${app.postToken}` });
    refusedKeys.push("no-token", "wrong-token", "basic-token");
    for (const [what, a] of Object.entries({ bare, wrong, basic })) {
      assert.equal(a.status, 401, `${what}: ${a.status} ${a.body}`);
      assert.match(JSON.parse(a.body).error, /token/);
    }
    const good = await post({ key: "with-token", value: "x" });
    assert.equal(good.status, 201, good.body);
    acknowledged.set("with-token", 1);

    const token = (opts: { host?: string; from?: string; headers?: Record<string, string> } = {}) =>
      request(port, { path: "/api/token", from: opts.from, headers: { host: opts.host ?? `localhost:${port}`, ...opts.headers } });
    const own = await token();
    assert.equal(own.status, 200, own.body);
    assert.equal(JSON.parse(own.body).token, app.postToken);
    // A peer in the cluster comes from its own address, whatever Host it names: this machine's
    // non-loopback address stands in for it.
    const external = Object.values(networkInterfaces())
      .flat()
      .find((i) => i && i.family === "IPv4" && !i.internal)?.address;
    assert.ok(external, "this test needs a non-loopback IPv4 address on the machine to play a peer in the cluster");
    const refusals = {
      "a peer that is not the pod": await token({ from: external }),
      "the Service's name": await token({ host: `sample-app:${HTTP_PORT}` }),
      "a cross-origin fetch": await token({ headers: { origin: "http://evil.example" } }),
      "a cross-site <script src>": await token({ headers: { "sec-fetch-site": "cross-site" } }),
    };
    for (const [what, a] of Object.entries(refusals)) {
      assert.equal(a.status, 403, `${what}: ${a.status} ${a.body}`);
      assert.doesNotMatch(a.body, new RegExp(app.postToken), `${what}: the token leaked`);
    }
  });

  it("serves the metrics on their own port and nothing else there, and none on the dashboard's", async () => {
    const metricsPort = Number(new URL(await app.metricsUrl()).port);
    assert.notEqual(metricsPort, port);
    const metrics = await request(metricsPort, { path: "/metrics" });
    assert.equal(metrics.status, 200);
    assert.match(metrics.body, /^sample_app_messages_produced_total /m);
    for (const path of ["/", "/api/stats", "/api/token", "/healthz"]) {
      assert.equal((await request(metricsPort, { path })).status, 404, `${path} on the metrics port`);
    }
    assert.equal((await request(metricsPort, { method: "POST", path: "/metrics", headers: auth() })).status, 405);
    assert.equal((await request(port, { path: "/metrics" })).status, 404, "/metrics on the dashboard's port");
  });

  it("refuses every POST /messages when started without a token (fails closed)", async () => {
    const open = new AppProcess({
      KAFKA_BROKERS: broker.bootstrap,
      KAFKA_TOPIC: topic,
      APP_ROLE: "producer",
      PRODUCE_RATE: "0",
      APP_POST_TOKEN: "",
    });
    try {
      const openPort = Number(new URL(await open.url()).port);
      const a = await request(openPort, {
        method: "POST",
        path: "/messages",
        headers: { "content-type": "application/json", authorization: "Bearer anything-at-all-anything-at-all" },
        body: '{"key":"tokenless-app","value":"x"}',
      });
      refusedKeys.push("tokenless-app");
      assert.equal(a.status, 403, a.body);
      assert.match(JSON.parse(a.body).error, /APP_POST_TOKEN is unset/);
      assert.equal((await request(openPort, { path: "/api/token" })).status, 404);
    } finally {
      open.kill();
    }
  });

  it("answers oversized and malformed bodies with a clear 4xx", async () => {
    const big = Buffer.alloc(2 * MiB, " ");
    const declared = await request(port, {
      method: "POST",
      path: "/messages",
      headers: { ...auth(), "content-type": "application/json", "content-length": big.length },
      body: big,
    });
    assert.equal(declared.status, 413, declared.body);
    const chunked = await request(port, {
      method: "POST",
      path: "/messages",
      headers: { ...auth(), "content-type": "application/json", "transfer-encoding": "chunked" },
      body: big,
    });
    assert.equal(chunked.status, 413, chunked.body);
    const cases: Record<string, string> = {
      empty: "",
      "not JSON": "{value: 'x'",
      "wrong shape": '{"value": 5}',
      "too many messages": JSON.stringify({ messages: Array.from({ length: 1001 }, () => ({ value: "x" })) }),
      "nested 300 000 deep": "[".repeat(300_000) + "]".repeat(300_000),
    };
    for (const [what, body] of Object.entries(cases)) {
      const a = await request(port, {
        method: "POST",
        path: "/messages",
        headers: { ...auth(), "content-type": "application/json" },
        body,
      });
      assert.equal(a.status, 400, `${what}: ${a.status} ${a.body.slice(0, 200)}`);
      assert.ok(typeof JSON.parse(a.body).error === "string", `${what}: an error message`);
    }
    assert.equal((await request(port, { path: "/healthz" })).status, 200, "still up");
  });

  it("bounds /api/stats?streams=1 when the stream table is huge, saying how many streams it left out", async () => {
    const POSTS = 100;
    const KEYS = 1000;
    for (let i = 0; i < POSTS; i++) {
      const keys = Array.from({ length: KEYS }, (_, j) => `table-${i}-${j}`);
      const a = await post({ messages: keys.map((key) => ({ key, value: "x" })) });
      assert.equal(a.status, 201, a.body);
      for (const key of keys) acknowledged.set(key, 1);
    }
    const expected = [...acknowledged.values()].reduce((n, c) => n + c, 0);
    await waitFor(`${expected} messages consumed`, async () => (await app.stats(false)).consumer!.consumed >= expected, 120_000);
    const before = (await pidusage(app.pid)).memory;
    const { result: answers, peak } = await peakRss(app.pid, () =>
      Promise.all(Array.from({ length: 4 }, () => request(port, { path: "/api/stats?streams=1" }))),
    );
    const sizes = answers.map((a) => a.body.length);
    const metricsText = await (await fetch(await app.metricsUrl())).text();
    const heapUsed = Number(/^nodejs_heap_size_used_bytes (\S+)$/m.exec(metricsText)![1]);
    console.log(
      `    ${POSTS} x ${KEYS} keys: 4 parallel /api/stats?streams=1 of ${sizes.map((n) => (n / MiB).toFixed(2)).join(", ")} MiB; ` +
        `RSS ${(before / MiB).toFixed(0)} MiB before, peak ${(peak / MiB).toFixed(0)} MiB (V8 heap in use ${(heapUsed / MiB).toFixed(0)} MiB)`,
    );
    for (const a of answers) {
      assert.equal(a.status, 200);
      assert.ok(a.body.length <= 1.25 * MiB, `a response of ${a.body.length} bytes`);
      const s = JSON.parse(a.body) as Stats;
      assert.ok(s.streams!.length > 0, "the streams that fit are listed");
      assert.equal(s.streams!.length + s.streamsOmitted!, MAX_STREAMS, "listed + omitted = the streams the consumer holds");
    }
    // The table itself is bounded by MAX_STREAMS; what a reader of it adds must not scale with it.
    assert.ok(peak - before < 32 * MiB, `RSS grew by ${((peak - before) / MiB).toFixed(0)} MiB while serving the stream list`);
  });

  it("sends security headers the dashboard works under, in headless Chromium through the port-forward's origin", async () => {
    for (const path of ["/", "/app.js", "/api/stats", "/healthz", "/nowhere"]) {
      const { headers } = await request(port, { path });
      assert.match(String(headers["content-security-policy"]), /default-src 'none'/, `${path}: CSP`);
      assert.match(String(headers["content-security-policy"]), /frame-ancestors 'none'/, `${path}: CSP frame-ancestors`);
      assert.equal(headers["x-content-type-options"], "nosniff", path);
      assert.equal(headers["x-frame-options"], "DENY", path);
    }
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      const problems: string[] = [];
      page.on("console", (m) => {
        // The browser asks for /favicon.ico on its own; the app has none.
        if (m.type() === "error" && !m.location().url.endsWith("/favicon.ico")) problems.push(m.text());
      });
      page.on("pageerror", (e) => problems.push(e.message));
      await page.addInitScript(
        `document.addEventListener("securitypolicyviolation", (e) => console.error("CSP violation: " + e.violatedDirective + " " + e.blockedURI))`,
      );
      await page.goto(`http://localhost:${port}/`);
      // Polled from here: page.waitForFunction evaluates a string in the page, which the page's CSP forbids.
      await waitFor("the page shows ready", async () => (await page.textContent("#ready")) === "ready", 30_000);
      await waitFor(
        "the page lists the partitions",
        async () => (await page.locator("#partitions tbody tr").count()) === PARTITIONS,
        30_000,
      );
      await page.fill("#send-key", "dashboard-form");
      await page.fill("#send-value", "sent from the page");
      await page.click("#send button");
      await waitFor("the page shows the POST's answer", async () => (await page.textContent("#send-result")) !== "", 30_000);
      const result = (await page.textContent("#send-result"))!;
      assert.match(result, /^sent to partition \d+, offset \d+$/, "the page's own POST passes the Origin check");
      acknowledged.set("dashboard-form", 1);
      assert.deepEqual(problems, [], "no CSP violation or script error in the page");
    } finally {
      await browser.close();
    }
  });

  it("lost no message it acknowledged, and stored none of the refused cross-site requests", async () => {
    const kafka = new Kafka({ brokers: broker.bootstrap.split(","), logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const byKey = new Map<string, Set<number>>();
      for (const [stream, seqs] of (await readTopic(kafka, admin, topic)).where) {
        const key = stream.slice(stream.indexOf("|") + 1);
        byKey.set(key, new Set([...(byKey.get(key) ?? []), ...seqs.keys()]));
      }
      const missing = [...acknowledged].filter(([key, n]) =>
        Array.from({ length: n }, (_, seq) => seq).some((seq) => !byKey.get(key)?.has(seq)),
      );
      console.log(`    ${acknowledged.size} acknowledged requests' keys read back; ${missing.length} incomplete`);
      assert.deepEqual(missing.slice(0, 20), [], "answered 201 but absent from the topic");
      assert.deepEqual(
        refusedKeys.filter((k) => byKey.has(k)),
        [],
        "refused but stored",
      );
    } finally {
      await admin.disconnect();
    }
  });
});
