// The sample app as separate processes against a real single-node Kafka broker (test/support/kafka.ts).
import { strict as assert } from "node:assert";
import { existsSync, mkdirSync } from "node:fs";
import * as path from "node:path";
import { startKafkaBroker, type KafkaBroker } from "../support/kafka";
import { AppProcess, ensureBuilt, missingOf, waitFor } from "./app-process";
import { Kafka, logLevel } from "../../sample-app/node_modules/kafkajs";
import { createTopic, readTopic, uniqueName } from "./topics";
import { CHROMIUM, launchBrowser } from "./browser";

const PARTITIONS = 6;
const SCREENSHOT = path.resolve(__dirname, "..", "..", "test-artifacts", "dashboard.png");

describe("sample app against a real Kafka broker", function () {
  this.timeout(240_000);
  let broker: KafkaBroker;
  const running: AppProcess[] = [];

  /** Starts an app process on a fresh topic/group unless given; every process is killed after the test. */
  function app(env: Record<string, string>): AppProcess {
    const p = new AppProcess({ KAFKA_BROKERS: broker.bootstrap, LOG_LEVEL: "info", ...env });
    running.push(p);
    return p;
  }

  async function topic(prefix: string): Promise<string> {
    const name = uniqueName(prefix);
    await createTopic(broker.bootstrap, name, PARTITIONS);
    return name;
  }

  before(async function () {
    this.timeout(300_000);
    ensureBuilt();
    broker = await startKafkaBroker({ partitionsDefault: PARTITIONS });
  });

  afterEach(() => {
    for (const p of running.splice(0)) p.kill();
  });

  after(async () => {
    await broker?.dispose();
  });

  it("consumes exactly the N messages produced, with no gaps", async () => {
    const N = 20_000;
    const t = await topic("exactly-n");
    const p = app({ KAFKA_TOPIC: t, KAFKA_GROUP_ID: t, APP_ROLE: "both", PRODUCE_RATE: "max", PRODUCE_LIMIT: String(N) });
    await waitFor(`${N} messages consumed`, async () => (await p.stats()).consumer!.consumed >= N, 120_000);
    const s = await p.stats();
    const producerId = s.producer!.id;
    assert.equal(s.producer!.produced, N, "every generated message acknowledged");
    const { missing, holes } = missingOf(producerId, N, [s.streams!]);
    assert.equal(missing, 0, `missing messages; holes: ${holes.join("; ")}`);
    assert.deepEqual(holes, []);
    assert.equal(s.consumer!.gaps, 0);
    assert.equal(s.consumer!.consumed - s.consumer!.duplicates, N, "distinct messages consumed");
    console.log(
      `    ${N} produced, ${s.consumer!.consumed} consumed, ${s.consumer!.duplicates} duplicates, latency p50 ${s.consumer!.latencyMs.p50?.toFixed(1)} ms`,
    );
    assert.equal(await p.signal("SIGTERM"), 0);
  });

  it("splits partitions between two consumer replicas and moves them on when one stops, losing nothing", async () => {
    const N = 15_000;
    const t = await topic("replicas");
    const producer = app({ KAFKA_TOPIC: t, KAFKA_GROUP_ID: t, APP_ROLE: "producer", PRODUCE_RATE: "1500", PRODUCE_LIMIT: String(N) });
    const a = app({ KAFKA_TOPIC: t, KAFKA_GROUP_ID: t, APP_ROLE: "consumer", KAFKA_CLIENT_ID: "replica-a" });
    const b = app({ KAFKA_TOPIC: t, KAFKA_GROUP_ID: t, APP_ROLE: "consumer", KAFKA_CLIENT_ID: "replica-b" });
    await waitFor(
      "both replicas own partitions",
      async () => {
        const [sa, sb] = [await a.stats(), await b.stats()];
        return (
          sa.consumer!.partitions.length > 0 &&
          sb.consumer!.partitions.length > 0 &&
          sa.consumer!.partitions.length + sb.consumer!.partitions.length === PARTITIONS
        );
      },
      60_000,
    );
    const [pa, pb] = [(await a.stats()).consumer!.partitions, (await b.stats()).consumer!.partitions];
    assert.deepEqual([...pa, ...pb].sort(), [0, 1, 2, 3, 4, 5], `disjoint split: a=${pa} b=${pb}`);
    const group = (await b.stats()).group;
    await waitFor("admin view lists both members", async () => (await b.stats()).group.members.length === 2, 10_000);
    console.log(`    split: replica-a ${pa.join(",")} | replica-b ${pb.join(",")} (group ${group.state})`);
    await waitFor("replica-a consumed some", async () => (await a.stats()).consumer!.consumed > 1000, 60_000);
    assert.equal(await a.signal("SIGTERM"), 0, `replica-a exit code; output:\n${a.tail()}`);
    await waitFor("replica-b owns every partition", async () => (await b.stats()).consumer!.partitions.length === PARTITIONS, 60_000);
    const producerId = (await producer.stats()).producer!.id;
    await waitFor(
      "all messages consumed by a and b together",
      async () => missingOf(producerId, N, [a.finalStreams(), (await b.stats()).streams!]).missing === 0,
      120_000,
    );
    const { missing, reRead, holes } = missingOf(producerId, N, [a.finalStreams(), (await b.stats()).streams!]);
    assert.equal(missing, 0);
    assert.deepEqual(holes, []);
    console.log(`    replica-a stopped after ${a.finalStreams().length} streams; replica-b took over; re-read by both: ${reRead}`);
    assert.equal((await b.stats()).consumer!.gaps, 0);
  });

  it("recovers on its own when the broker restarts mid-stream, losing no acknowledged message", async function () {
    if (broker.external) {
      console.log("SKIP: the broker is external (KAFKA_BOOTSTRAP_SERVERS); this test must stop and start it");
      this.skip();
    }
    const N = 24_000;
    const t = await topic("restart");
    const p = app({ KAFKA_TOPIC: t, KAFKA_GROUP_ID: t, APP_ROLE: "both", PRODUCE_RATE: "1000", PRODUCE_LIMIT: String(N) });
    await waitFor("consuming", async () => (await p.stats()).consumer!.consumed > 3000, 60_000);
    await broker.stop();
    const down = Date.now();
    await new Promise((r) => setTimeout(r, 3000));
    await broker.start();
    console.log(`    broker down for ${Date.now() - down} ms (stop, 3 s pause, restart)`);
    await waitFor(
      `all ${N} messages consumed after the restart`,
      async () => {
        const s = await p.stats();
        return s.producer!.produced >= N && missingOf(s.producer!.id, N, [s.streams!]).missing === 0;
      },
      180_000,
    );
    const s = await p.stats();
    const { missing, holes } = missingOf(s.producer!.id, N, [s.streams!]);
    assert.equal(missing, 0);
    assert.deepEqual(holes, []);
    assert.equal(s.consumer!.gaps, 0);
    const metrics = await (await fetch(await p.metricsUrl())).text();
    const metric = (name: string) =>
      metrics
        .split("\n")
        .filter((l) => l.startsWith(name))
        .map((l) => l.replace(/^sample_app_/, ""))
        .join(", ") || `${name.replace(/^sample_app_/, "")} 0`;
    console.log(
      `    0 lost; ${s.consumer!.duplicates} duplicates; ${s.producer!.sendFailures} sends resent; ${metric("sample_app_producer_recreated_total")}; ${metric("sample_app_consumer_crashes_total")}`,
    );
    assert.ok(s.ready, "ready again after the restart");
    assert.equal(await p.signal("SIGTERM"), 0);
  });

  it("commits and exits 0 on SIGTERM; a restarted consumer does not re-read committed messages", async () => {
    const N = 12_000;
    const t = await topic("sigterm");
    const producer = app({ KAFKA_TOPIC: t, KAFKA_GROUP_ID: t, APP_ROLE: "producer", PRODUCE_RATE: "2000", PRODUCE_LIMIT: String(N) });
    const first = app({ KAFKA_TOPIC: t, KAFKA_GROUP_ID: t, APP_ROLE: "consumer" });
    await waitFor("first consumer mid-stream", async () => (await first.stats()).consumer!.consumed > 3000, 60_000);
    const started = Date.now();
    assert.equal(await first.signal("SIGTERM"), 0, `exit code; output:\n${first.tail()}`);
    const stopMs = Date.now() - started;
    const second = app({ KAFKA_TOPIC: t, KAFKA_GROUP_ID: t, APP_ROLE: "consumer" });
    const producerId = (await producer.stats()).producer!.id;
    await waitFor(
      "the rest consumed by the second consumer",
      async () => missingOf(producerId, N, [first.finalStreams(), (await second.stats()).streams!]).missing === 0,
      120_000,
    );
    const { reRead, holes } = missingOf(producerId, N, [first.finalStreams(), (await second.stats()).streams!]);
    assert.deepEqual(holes, []);
    assert.equal(reRead, 0, "messages the first consumer committed were read again");
    assert.ok(stopMs < 25_000, `stopped in ${stopMs} ms`);
    console.log(
      `    first consumer stopped in ${stopMs} ms after processing ${first.lines.find((l) => l.msg === "stopped cleanly")!.consumed}; second re-read 0`,
    );
  });

  it("sends POST /messages through the producer and shows them as consumed", async () => {
    const t = await topic("post");
    const p = app({ KAFKA_TOPIC: t, KAFKA_GROUP_ID: t, APP_ROLE: "both", PRODUCE_RATE: "0" });
    await waitFor("ready", async () => (await fetch(`${await p.url()}/readyz`)).status === 200, 60_000);
    const res = await fetch(`${await p.url()}/messages`, {
      method: "POST",
      headers: p.postHeaders(),
      body: JSON.stringify({
        messages: [
          { key: "order-1", value: "hello" },
          { key: "order-1", value: "world" },
        ],
      }),
    });
    assert.equal(res.status, 201, await res.clone().text());
    const body = (await res.json()) as { records: Array<{ partition: number }> };
    assert.equal(body.records.length, 1, "both messages share a key, so one partition");
    await waitFor("both consumed", async () => (await p.stats()).consumer!.consumed === 2, 30_000);
    const s = await p.stats();
    assert.deepEqual(
      s.recent.map((m) => [m.key, m.seq, m.preview, m.partition]),
      [
        ["order-1", 0, "hello", body.records[0].partition],
        ["order-1", 1, "world", body.records[0].partition],
      ],
    );
    const bad = await fetch(`${await p.url()}/messages`, { method: "POST", headers: p.postHeaders(), body: "{}" });
    assert.equal(bad.status, 400);
  });

  it("answers POST /messages 503 while the broker is down, holds at most PRODUCE_RESEND_MAX_BYTES, and every 201 is in the topic", async function () {
    if (broker.external) {
      console.log("SKIP: the broker is external (KAFKA_BOOTSTRAP_SERVERS); this test must stop and start it");
      this.skip();
    }
    const CAP = 2 << 20;
    const t = await topic("resend-cap");
    // One ~1.7 MB batch a second (400 x 4 KiB, 1 s linger) and 4 sends in flight: two sends hanging in
    // KafkaJS's retries while Kafka is away would hold more than the cap, so the cap is what stops the
    // generator. With the default of one send in flight, that one batch (< cap) is all it holds, and
    // whether a POST is refused depends on the outage outlasting the ~25 s retry budget (a CI run with a
    // quick broker restart got 201 for every POST).
    const p = app({
      KAFKA_TOPIC: t,
      KAFKA_GROUP_ID: t,
      APP_ROLE: "producer",
      PRODUCE_RATE: "400",
      PRODUCE_LINGER_MS: "1000",
      MESSAGE_BYTES: "4096",
      PRODUCE_RESEND_MAX_BYTES: String(CAP),
      PRODUCE_MAX_IN_FLIGHT: "4",
    });
    const url = await p.url();
    await waitFor("ready", async () => (await fetch(`${url}/readyz`)).status === 200, 60_000);
    const answers: Array<{ key: string; status: number; retryAfter: string | null; at: "up" | "down" | "back" }> = [];
    let phase: "up" | "down" | "back" = "up";
    let outstanding = 0;
    let posting = true;
    let sent = 0;
    const poster = (async () => {
      while (posting) {
        // Requests sent while a send hangs in KafkaJS's retries wait for it: allow many at once.
        if (outstanding < 1000) {
          const key = `post-${sent++}`;
          const at = phase;
          outstanding++;
          void fetch(`${url}/messages`, {
            method: "POST",
            headers: p.postHeaders(),
            body: JSON.stringify({ key, value: `hello ${key}` }),
          })
            .then((res) => answers.push({ key, status: res.status, retryAfter: res.headers.get("retry-after"), at }))
            .catch((err) => answers.push({ key, status: -1, retryAfter: String(err), at }))
            .finally(() => outstanding--);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    let maxPending = 0;
    const sample = async () => {
      maxPending = Math.max(maxPending, (await p.stats(false)).producer!.pendingBytes);
    };
    const sampleFor = async (ms: number) => {
      const until = Date.now() + ms;
      while (Date.now() < until) {
        await sample();
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    try {
      await sampleFor(3000);
      await broker.stop();
      phase = "down";
      await sampleFor(15_000);
      phase = "back";
      await broker.start();
      await waitFor(
        "a POST acknowledged after the restart",
        async () => {
          await sample();
          return answers.some((a) => a.at === "back" && a.status === 201);
        },
        120_000,
      );
    } finally {
      posting = false;
      await poster;
    }
    await waitFor("every POST answered", async () => outstanding === 0, 60_000);
    const count = (at: string, status: number) => answers.filter((a) => a.at === at && a.status === status).length;
    const summary =
      `cap ${CAP} B, held at most ${maxPending} B; POSTs sent while up ${count("up", 201)}x201/${count("up", 503)}x503, ` +
      `down ${count("down", 201)}x201/${count("down", 503)}x503, back ${count("back", 201)}x201/${count("back", 503)}x503`;
    const others = answers.filter((a) => a.status !== 201 && a.status !== 503);
    assert.deepEqual(others, [], 'only 201 (acknowledged) or 503 (not kept); no 202 "queued"');
    // A POST sent while the broker was down may still get 201: KafkaJS retries ~25 s, past the restart.
    assert.ok(count("down", 503) > 0, `503 while the broker was down: ${summary}`);
    assert.ok(
      answers.filter((a) => a.status === 503).every((a) => a.retryAfter !== null && Number(a.retryAfter) > 0),
      "every 503 says when to retry",
    );
    assert.ok(maxPending <= CAP, `held ${maxPending} unacknowledged bytes > cap ${CAP}`);
    assert.ok(maxPending > CAP / 2, `held at most ${maxPending} bytes: the outage did not drive the generator to the cap`);
    assert.equal(await p.signal("SIGTERM"), 0, p.tail());
    const kafka = new Kafka({ brokers: broker.bootstrap.split(","), logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const stored = new Set([...(await readTopic(kafka, admin, t)).where.keys()].map((stream) => stream.slice(stream.indexOf("|") + 1)));
      const missing = answers.filter((a) => a.status === 201 && !stored.has(a.key)).map((a) => a.key);
      assert.deepEqual(missing, [], "answered 201 but absent from the topic");
    } finally {
      await admin.disconnect();
    }
    console.log(`    ${summary}; every 201 in the topic`);
  });

  it("serves a dashboard whose live numbers increase, and whose replica count follows a second consumer, in headless Chromium (screenshot saved)", async function () {
    if (!existsSync(CHROMIUM)) {
      console.log(`SKIP: ${CHROMIUM} is absent (apt-get install -y chromium)`);
      this.skip();
    }
    const t = await topic("dashboard");
    const p = app({ KAFKA_TOPIC: t, KAFKA_GROUP_ID: t, APP_ROLE: "both", PRODUCE_RATE: "300", KAFKA_CLIENT_ID: "dashboard-demo" });
    const url = await p.url();
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
      const external: string[] = [];
      page.on("request", (r) => {
        if (!r.url().startsWith(url)) external.push(r.url());
      });
      await page.goto(url);
      const read = async (id: string) => Number((await page.textContent(`#${id}`))!.replace(/,/g, ""));
      // Polled from here: page.waitForFunction evaluates a string in the page, which the page's CSP forbids.
      await waitFor("the page shows ready", async () => (await page.textContent("#ready")) === "ready", 60_000);
      await waitFor("the page shows consumed messages", async () => (await read("consumed")) > 0, 60_000);
      const before = { produced: await read("produced"), consumed: await read("consumed") };
      await page.waitForTimeout(4000);
      const after = { produced: await read("produced"), consumed: await read("consumed") };
      assert.ok(after.produced > before.produced, `produced ${before.produced} -> ${after.produced}`);
      assert.ok(after.consumed > before.consumed, `consumed ${before.consumed} -> ${after.consumed}`);
      assert.equal(await page.locator("#partitions tbody tr").count(), PARTITIONS, "one row per partition");
      assert.match((await page.textContent("#members"))!, /dashboard-demo/, "the group member is listed");
      assert.ok((await page.locator("#recent tbody tr").count()) > 0, "recent messages listed");
      assert.equal(await read("gaps"), 0);

      // Scaling as KEDA would do it: one replica, then a second joins the group.
      await waitFor("the page shows 1 replica", async () => (await page.textContent("#replicas")) === "1", 30_000);
      const joinedAt = Date.now();
      app({ KAFKA_TOPIC: t, KAFKA_GROUP_ID: t, APP_ROLE: "consumer", KAFKA_CLIENT_ID: "dashboard-demo-2" });
      await waitFor("the page shows 2 replicas", async () => (await page.textContent("#replicas")) === "2", 60_000);
      const seenAfterMs = Date.now() - joinedAt;
      assert.match((await page.textContent("#members"))!, /dashboard-demo-2/, "the second replica is listed");
      await page.waitForTimeout(5000);
      // The chart's history: one replica, then two, each sample with the lag beside it (the group is
      // empty, 0, before the first consumer joins).
      const history = (await p.stats(false)).rates.filter((r) => r.members !== null);
      const counts = history.map((r) => r.members);
      assert.ok(counts.includes(1) && counts.indexOf(1) < counts.indexOf(2), `member counts sampled: ${counts.join(",")}`);
      assert.equal(counts[counts.length - 1], 2, `member counts sampled: ${counts.join(",")}`);
      assert.ok(
        history.every((r) => typeof r.lag === "number" && r.lag >= 0),
        "every sample with a member count has a lag",
      );
      assert.match((await page.textContent("#replicas-range"))!, /^\d–2 in the last 2 minutes$/);
      assert.deepEqual(external, [], "the page loads nothing from outside the app");
      mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
      console.log(
        `    produced ${before.produced} -> ${after.produced}, consumed ${before.consumed} -> ${after.consumed}; ` +
          `replicas 1 -> 2 shown ${seenAfterMs} ms after the second consumer started; screenshot ${path.relative(process.cwd(), SCREENSHOT)}`,
      );
    } finally {
      await browser.close();
    }
  });
});
