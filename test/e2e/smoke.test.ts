// Runs the real scripts/e2e/smoke.sh against a stand-in kubectl (test/e2e/fake-kubectl.sh) and
// sample-app stats servers in this process, so its verdicts are checked without a cluster: it must
// pass a healthy app and fail a stalled producer, a lagging consumer, gaps and a wrong jq path.
import { strict as assert } from "node:assert";
import * as http from "node:http";
import { AddressInfo } from "node:net";
import * as path from "node:path";
import { sampleAppLabels } from "../../components/sampleApp";
import { policies } from "../../policy/policies";
import { APP_NAME_LABEL } from "../../policy/policies/lib/sample-app";
import { HTTP_PORT } from "../../sample-app/src/contract";
import { FakeKubectlRun, skipWithout, withFakeKubectl } from "../support/fake-kubectl";

const repoRoot = path.resolve(__dirname, "../..");
const smokeScript = path.join(repoRoot, "scripts/e2e/smoke.sh");
const fakeKubectl = path.join(repoRoot, "test/e2e/fake-kubectl.sh");

/** What one fake pod's `/api/stats` reports, computed at request time from ms since the start. */
interface FakePod {
  /** Pod name. */
  readonly name: string;
  /** Acknowledged messages at `t` ms; undefined for a consumer-only pod. */
  readonly produced?: (t: number) => number;
  /** Processed messages at `t` ms; undefined for a producer-only pod. */
  readonly consumed?: (t: number) => number;
  /** Missing sequence numbers (consumer pods). */
  readonly gaps?: number;
}

/** Serves each pod's stats on its own 127.0.0.1 port, shaped like the sample app's `/api/stats`. */
async function startPods(pods: readonly FakePod[]): Promise<{ ports: Map<string, number>; close: () => Promise<void> }> {
  const start = Date.now();
  const servers: http.Server[] = [];
  const ports = new Map<string, number>();
  for (const pod of pods) {
    const server = http.createServer((req, res) => {
      if (req.url !== "/api/stats") {
        res.writeHead(404).end();
        return;
      }
      const t = Date.now() - start;
      const body = {
        role: pod.produced && pod.consumed ? "both" : pod.produced ? "producer" : "consumer",
        producer: pod.produced ? { id: pod.name, connected: true, produced: pod.produced(t) } : null,
        consumer: pod.consumed ? { consumed: pod.consumed(t), duplicates: 0, gaps: pod.gaps ?? 0 } : null,
      };
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    servers.push(server);
    ports.set(pod.name, (server.address() as AddressInfo).port);
  }
  const close = async (): Promise<void> => {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  };
  return { ports, close };
}

/** Runs smoke.sh asynchronously (the stats servers live in this event loop) with short windows. */
async function runSmoke(pods: readonly FakePod[], env: Record<string, string> = {}): Promise<FakeKubectlRun> {
  const { ports, close } = await startPods(pods);
  try {
    return await withFakeKubectl(fakeKubectl, (kubectl) =>
      kubectl.run(smokeScript, {
        FAKE_KUBECTL_PODS: [...ports].map(([name, port]) => `${name}=${port}`).join(" "),
        SMOKE_WINDOW_SECONDS: "1",
        SMOKE_CATCHUP_SECONDS: "2",
        ...env,
      }),
    );
  } finally {
    await close();
  }
}

/** 100 messages/s since the start. */
const steadyRate = (t: number): number => Math.floor(t / 10);

describe("scripts/e2e/smoke.sh (against a stand-in kubectl)", function () {
  this.timeout(60_000);

  before(function () {
    skipWithout(this, "smoke.sh", ["jq", "curl"]);
  });

  it("passes when consumers keep up with the producer and see no gap, waiting for Kafka, topics and apps first", async () => {
    const run = await runSmoke([
      { name: "producer-0", produced: steadyRate },
      // Two consumer replicas share the partitions: only their sum has to keep up.
      { name: "consumer-0", consumed: (t) => Math.ceil(steadyRate(t) / 2) },
      { name: "consumer-1", consumed: (t) => Math.ceil(steadyRate(t) / 2) },
    ]);
    assert.equal(run.code, 0, run.output);
    assert.match(run.output, /OK: produced-in-window=\d+ consumed-since-start=\d+ gaps=0/);
    assert.match(run.kubectlCalls, /^wait kafka\/kafka -n kafka --for=condition=Ready/m);
    assert.match(run.kubectlCalls, /^wait kafkatopic --all -n kafka --for=condition=Ready/m);
    assert.match(run.kubectlCalls, /^wait deployment -l app.kubernetes.io\/name=kafka-sample-app -n kafka --for=condition=Available/m);
    assert.equal(run.kubectlCalls.match(/^port-forward /gm)?.length, 3, run.kubectlCalls);
  });

  // smoke.sh reads its defaults from the app's contract; this proves they are what the program deploys and
  // what the policy pack looks for when run without config (a restated value in the script fails here).
  it("selects the pods the program labels and the policy pack recognises by default, on the port the app listens on", async () => {
    const run = await runSmoke([{ name: "both-0", produced: steadyRate, consumed: steadyRate }]);
    assert.equal(run.code, 0, run.output);
    const selector = /^wait deployment -l (\S+) /m.exec(run.kubectlCalls)?.[1];
    const defaults = new Set(policies.map((p) => p.configSchema?.properties.appName?.default).filter((d) => d !== undefined));
    assert.ok(defaults.size > 0, "no policy has an appName setting");
    assert.deepEqual(
      [...defaults].map((name) => `${APP_NAME_LABEL}=${name}`),
      [selector],
    );
    assert.ok(
      Object.entries(sampleAppLabels).some(([key, value]) => `${key}=${value}` === selector),
      `${selector} is not a label the program sets`,
    );
    assert.match(run.kubectlCalls, new RegExp(`^port-forward -n kafka pod/both-0 :${HTTP_PORT}$`, "m"));
  });

  it("passes a consumer that restarted (its count is behind the producer's total but keeps pace)", async () => {
    const run = await runSmoke([
      { name: "producer-0", produced: (t) => 50_000 + steadyRate(t) },
      { name: "consumer-0", consumed: steadyRate },
    ]);
    assert.equal(run.code, 0, run.output);
  });

  it("fails when the producer acknowledges nothing in the window", async () => {
    const run = await runSmoke([
      { name: "producer-0", produced: () => 500 },
      { name: "consumer-0", consumed: () => 500 },
    ]);
    assert.equal(run.code, 1, run.output);
    assert.match(run.output, /FAIL: no message acknowledged in 1s \(produced 500 -> 500\)/);
  });

  it("fails when the consumers do not catch up within the catch-up time", async () => {
    const run = await runSmoke([
      { name: "producer-0", produced: steadyRate },
      { name: "consumer-0", consumed: (t) => Math.floor(steadyRate(t) / 4) },
    ]);
    assert.equal(run.code, 1, run.output);
    assert.match(
      run.output,
      /FAIL: consumers processed \d+ message\(s\) since the start, fewer than the \d+ produced in the window, after 2s/,
    );
  });

  it("fails when a consumer reports gaps", async () => {
    const run = await runSmoke([
      { name: "producer-0", produced: steadyRate },
      { name: "consumer-0", consumed: steadyRate, gaps: 3 },
    ]);
    assert.equal(run.code, 1, run.output);
    assert.match(run.output, /FAIL: consumers report 3 missing sequence number\(s\)/);
  });

  it("fails, naming the path, when no pod reports a configured jq path", async () => {
    const run = await runSmoke(
      [
        { name: "producer-0", produced: steadyRate },
        { name: "consumer-0", consumed: steadyRate },
      ],
      { SMOKE_GAPS_JQ: ".consumer.gapz" },
    );
    assert.notEqual(run.code, 0, run.output);
    assert.match(run.output, /no pod reports \.consumer\.gapz in \/api\/stats/);
  });

  it("rejects a non-numeric window with the setting's name", async () => {
    const run = await runSmoke([{ name: "producer-0", produced: steadyRate }], { SMOKE_WINDOW_SECONDS: "soon" });
    assert.equal(run.code, 2, run.output);
    assert.match(run.output, /SMOKE_WINDOW_SECONDS='soon' must be a positive whole number/);
  });
});
