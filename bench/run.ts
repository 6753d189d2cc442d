// Benchmark: the sample app's producer, consumer and end-to-end latency against Apache Kafka's own
// tools, on one local broker in one run, same record size, acks=all, same topic layout.
// Run: npm run bench   (env: BENCH_RECORDS, default 200000; KAFKA_BOOTSTRAP_SERVERS for an existing broker)
import {
  parseConsumerPerformance,
  parseEndToEndLatency,
  parseProducerPerformance,
  runKafkaTool,
  startKafkaBroker,
  type KafkaBroker,
} from "../test/support/kafka";
import { AppProcess, ensureBuilt, waitFor } from "../test/sample-app/app-process";
import { createTopic, uniqueName } from "../test/sample-app/topics";

const RECORDS = Number(process.env.BENCH_RECORDS ?? 200_000);
const RECORD_BYTES = 1024;
const PARTITIONS = 6;
const E2E_RATE = 1000;
const E2E_SECONDS = 30;
const E2E_REF_RECORDS = 5000;
const MIB = 1 << 20;

/** One row of the result table. */
interface Row {
  /** What is measured. */
  readonly what: string;
  /** Figure for the app. */
  readonly app: number;
  /** Figure for the Java reference. */
  readonly ref: number;
  /** Unit of both figures. */
  readonly unit: string;
  /** Target for app/ref, e.g. ">= 0.5". */
  readonly target: string;
  /** Whether app/ref meets the target. */
  readonly met: boolean;
}

const logTime = (p: AppProcess, msg: string): number => {
  const line = p.lines.find((l) => l.msg === msg);
  if (!line) throw new Error(`app never logged "${msg}":\n${p.tail()}`);
  return Date.parse(line.time as string);
};

async function appProducer(bootstrap: string, topic: string): Promise<{ rps: number; ms: number }> {
  const p = new AppProcess({
    KAFKA_BROKERS: bootstrap,
    KAFKA_TOPIC: topic,
    APP_ROLE: "producer",
    PRODUCE_RATE: "max",
    PRODUCE_LIMIT: String(RECORDS),
    MESSAGE_BYTES: String(RECORD_BYTES),
    // The figures in the README were measured with 4 sends in flight (max throughput; no hand-overs here).
    PRODUCE_MAX_IN_FLIGHT: "4",
  });
  try {
    await waitFor("app producer done", async () => p.lines.some((l) => l.msg === "produce limit acknowledged"), 600_000);
    const ms = p.lines.find((l) => l.msg === "produce limit acknowledged")!.elapsedMs as number;
    return { rps: (RECORDS / ms) * 1000, ms };
  } finally {
    await p.signal("SIGTERM");
  }
}

async function appConsumer(bootstrap: string, topic: string): Promise<{ rps: number; ms: number }> {
  const p = new AppProcess({ KAFKA_BROKERS: bootstrap, KAFKA_TOPIC: topic, KAFKA_GROUP_ID: uniqueName("bench-app"), APP_ROLE: "consumer" });
  try {
    let done = 0;
    // Polled every 250 ms: up to that much is added to a run of several seconds.
    await waitFor("app consumer done", async () => {
      if ((await p.stats(false)).consumer!.consumed < RECORDS) return false;
      done = Date.now();
      return true;
    }, 600_000);
    const ms = done - logTime(p, "joined group");
    return { rps: (RECORDS / ms) * 1000, ms };
  } finally {
    await p.signal("SIGTERM");
  }
}

async function appEndToEnd(bootstrap: string, topic: string): Promise<{ p50: number; p99: number; samples: number }> {
  const total = E2E_RATE * E2E_SECONDS;
  const p = new AppProcess({
    KAFKA_BROKERS: bootstrap,
    KAFKA_TOPIC: topic,
    KAFKA_GROUP_ID: uniqueName("bench-e2e"),
    APP_ROLE: "both",
    PRODUCE_RATE: String(E2E_RATE),
    PRODUCE_LIMIT: String(total),
    MESSAGE_BYTES: String(RECORD_BYTES),
    PRODUCE_MAX_IN_FLIGHT: "4",
  });
  try {
    // Polled gently: the app answers in the event loop that also consumes, so polling adds latency.
    await waitFor("app e2e run done", async () => (await p.stats(false)).consumer!.consumed >= total, 600_000, 2000);
    // The latency ring keeps the newest 20k samples: the first 10 s (start-up, group join backlog) fall out of it.
    const { latencyMs } = (await p.stats(false)).consumer!;
    return { p50: latencyMs.p50!, p99: latencyMs.p99!, samples: latencyMs.samples };
  } finally {
    await p.signal("SIGTERM");
  }
}

function table(rows: readonly Row[]): string {
  const fmt = (n: number) => (n >= 100 ? Math.round(n).toLocaleString("en-US") : n.toFixed(2));
  const lines = [
    "| measure | app (KafkaJS) | Java reference | app/ref | target | met |",
    "|---|---:|---:|---:|---|---|",
    ...rows.map((r) => `| ${r.what} | ${fmt(r.app)} ${r.unit} | ${fmt(r.ref)} ${r.unit} | ${(r.app / r.ref).toFixed(2)} | ${r.target} | ${r.met ? "yes" : "NO"} |`),
  ];
  return lines.join("\n");
}

async function main(): Promise<void> {
  ensureBuilt();
  const broker: KafkaBroker = await startKafkaBroker({ partitionsDefault: PARTITIONS });
  try {
    const bs = broker.bootstrap;
    const [refTopic, appTopic, refE2e, appE2e] = [uniqueName("bench-ref"), uniqueName("bench-app"), uniqueName("bench-ref-e2e"), uniqueName("bench-app-e2e")];
    await createTopic(bs, [refTopic, appTopic, refE2e, appE2e], PARTITIONS);
    console.log(`bench: ${RECORDS} records x ${RECORD_BYTES} B, acks=all, ${PARTITIONS} partitions, RF 1, broker ${bs}`);

    console.log("bench: Java ProducerPerformance ...");
    const refProd = parseProducerPerformance((await runKafkaTool("org.apache.kafka.tools.ProducerPerformance", [
      "--topic", refTopic, "--num-records", String(RECORDS), "--record-size", String(RECORD_BYTES), "--throughput", "-1",
      "--producer-props", `bootstrap.servers=${bs}`, "acks=all",
    ], { timeoutMs: 600_000 })).stdout);
    console.log("bench: app producer ...");
    const appProd = await appProducer(bs, appTopic);
    console.log(`  Java ${Math.round(refProd.recordsPerSec)} rec/s, app ${Math.round(appProd.rps)} rec/s`);

    // Both consumers read the topic the app produced: the same records, headers included.
    console.log("bench: Java ConsumerPerformance ...");
    const refCons = parseConsumerPerformance((await runKafkaTool("org.apache.kafka.tools.ConsumerPerformance", [
      "--bootstrap-server", bs, "--topic", appTopic, "--num-records", String(RECORDS), "--group", uniqueName("bench-ref"),
    ], { timeoutMs: 600_000 })).stdout);
    console.log("bench: app consumer ...");
    const appCons = await appConsumer(bs, appTopic);
    console.log(`  Java ${Math.round(refCons.fetchRecordsPerSec)} rec/s, app ${Math.round(appCons.rps)} rec/s`);

    console.log("bench: Java EndToEndLatency ...");
    const refE2eRes = parseEndToEndLatency((await runKafkaTool("org.apache.kafka.tools.EndToEndLatency", [
      bs, refE2e, String(E2E_REF_RECORDS), "all", String(RECORD_BYTES),
    ], { timeoutMs: 600_000 })).stdout);
    console.log(`bench: app end-to-end at ${E2E_RATE} msg/s for ${E2E_SECONDS} s ...`);
    const appE2eRes = await appEndToEnd(bs, appE2e);

    const mb = (rps: number) => (rps * RECORD_BYTES) / MIB;
    const rows: Row[] = [
      { what: "producer records/s", app: appProd.rps, ref: refProd.recordsPerSec, unit: "", target: ">= 0.5", met: appProd.rps / refProd.recordsPerSec >= 0.5 },
      { what: "producer MB/s (values)", app: mb(appProd.rps), ref: refProd.mbPerSec, unit: "", target: "", met: true },
      { what: "consumer records/s (after join)", app: appCons.rps, ref: refCons.fetchRecordsPerSec, unit: "", target: ">= 0.5", met: appCons.rps / refCons.fetchRecordsPerSec >= 0.5 },
      { what: "consumer MB/s (values)", app: mb(appCons.rps), ref: refCons.fetchMbPerSec, unit: "", target: "", met: true },
      { what: "e2e latency p50", app: appE2eRes.p50, ref: refE2eRes.p50Ms, unit: "ms", target: "", met: true },
      { what: "e2e latency p99", app: appE2eRes.p99, ref: refE2eRes.p99Ms, unit: "ms", target: "<= 2", met: appE2eRes.p99 / refE2eRes.p99Ms <= 2 },
    ];
    console.log(`\n${table(rows)}\n`);
    console.log(
      `notes: app producer ${RECORDS} in ${appProd.ms} ms (up to 1000 per send, 4 sends in flight, no compression); ` +
        `Java producer defaults; Java consumer incl. join ${Math.round(refCons.recordsPerSec)} rec/s; ` +
        `app e2e: ${appE2eRes.samples} samples at ${E2E_RATE} msg/s (sends every 5 ms, commit per batch); ` +
        `Java e2e: ${E2E_REF_RECORDS} records one at a time (ping-pong).`,
    );
  } finally {
    await broker.dispose();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
