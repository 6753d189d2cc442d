// Benchmark: the sample app against a bare-KafkaJS loop with the app's own client settings
// (bench/bare.ts) and Apache Kafka's Java tools, on one local broker, same records (1 KiB, acks=all,
// 6 partitions). Each measure is run ROUNDS times, alternating who goes first, and the median counts.
// Run: npm run bench [-- --json FILE] [-- --cpu-prof]   (env: BENCH_RECORDS, default 200000; BENCH_ROUNDS, default 3;
// BENCH_MEMORY_SECONDS, default 120)
// Exits 1 when a target is missed. Writes bench/results/bench.json and bench/results/bench.svg, and with
// --cpu-prof a V8 CPU profile of every app process into bench/results/profiles/ (open in Chrome DevTools).
import { execFile } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import pidusage from "pidusage";
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
import { growthPercent, limitMet, median, met, ratio, wholeMs, type Limit, type Row, type Runs } from "./figures";

const RECORDS = Number(process.env.BENCH_RECORDS ?? 200_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const RECORD_BYTES = 1024;
const PARTITIONS = 6;
const E2E_RATE = 1000;
const E2E_SECONDS = 30;
const E2E_REF_RECORDS = 5000;
const MEMORY_SECONDS = Number(process.env.BENCH_MEMORY_SECONDS ?? 120);
/** The app's and bare loop's sends in flight: 4, the most that showed a gain here (the app's default is 1, for ordering). */
const IN_FLIGHT = "4";
const MIB = 1 << 20;
const RESULTS = path.join(__dirname, "results");
const execFileP = promisify(execFile);

const PROFILES = path.join(RESULTS, "profiles");
const CPU_PROF = process.argv.includes("--cpu-prof");

/** Node flags for the process of `who` (app-<role> or bare-<role>): a CPU profile with --cpu-prof. */
const nodeArgs = (who: string): string[] => (CPU_PROF ? ["--cpu-prof", `--cpu-prof-dir=${path.join(PROFILES, who)}`] : []);

const appEnv = (bootstrap: string, topic: string, extra: Record<string, string>) => ({
  KAFKA_BROKERS: bootstrap,
  KAFKA_TOPIC: topic,
  MESSAGE_BYTES: String(RECORD_BYTES),
  PRODUCE_MAX_IN_FLIGHT: IN_FLIGHT,
  ...extra,
});

function logged(p: AppProcess, msg: string): number {
  const line = p.lines.find((l) => l.msg === msg);
  return line === undefined ? NaN : (line.elapsedMs as number);
}

async function appRun(env: Record<string, string>, doneMsg: string): Promise<number> {
  const p = new AppProcess(env, nodeArgs(`app-${env.APP_ROLE}`));
  try {
    await waitFor(`app: ${doneMsg}`, async () => p.lines.some((l) => l.msg === doneMsg), 600_000, 100).catch((err: Error) => {
      throw new Error(`${err.message}\n${p.tail()}`);
    });
    return (RECORDS / logged(p, doneMsg)) * 1000;
  } finally {
    await p.signal("SIGTERM");
  }
}

const appProducer = (bs: string, topic: string) =>
  appRun(appEnv(bs, topic, { APP_ROLE: "producer", PRODUCE_RATE: "max", PRODUCE_LIMIT: String(RECORDS) }), "produce limit acknowledged");
const appConsumer = (bs: string, topic: string) =>
  appRun(
    appEnv(bs, topic, { APP_ROLE: "consumer", KAFKA_GROUP_ID: uniqueName("bench-app"), CONSUME_LIMIT: String(RECORDS) }),
    "consume limit reached",
  );

async function bare(role: "producer" | "consumer", bs: string, topic: string): Promise<number> {
  const env = {
    PATH: process.env.PATH ?? "",
    ...appEnv(bs, topic, {
      BARE_ROLE: role,
      KAFKA_GROUP_ID: uniqueName("bench-bare"),
      PRODUCE_LIMIT: String(RECORDS),
      CONSUME_LIMIT: String(RECORDS),
    }),
  };
  const { stdout } = await execFileP(
    process.execPath,
    [...nodeArgs(`bare-${role}`), "-r", "ts-node/register/transpile-only", path.join(__dirname, "bare.ts")],
    {
      env,
      cwd: path.join(__dirname, ".."),
      timeout: 600_000,
    },
  );
  const { records, elapsedMs } = JSON.parse(stdout.trim().split("\n").pop()!) as { records: number; elapsedMs: number };
  return (records / elapsedMs) * 1000;
}

const javaProducer = async (bs: string, topic: string) =>
  parseProducerPerformance(
    (
      await runKafkaTool(
        "org.apache.kafka.tools.ProducerPerformance",
        [
          "--topic",
          topic,
          "--num-records",
          String(RECORDS),
          "--record-size",
          String(RECORD_BYTES),
          "--throughput",
          "-1",
          "--producer-props",
          `bootstrap.servers=${bs}`,
          "acks=all",
        ],
        { timeoutMs: 600_000 },
      )
    ).stdout,
  ).recordsPerSec;

const javaConsumer = async (bs: string, topic: string) =>
  parseConsumerPerformance(
    (
      await runKafkaTool(
        "org.apache.kafka.tools.ConsumerPerformance",
        ["--bootstrap-server", bs, "--topic", topic, "--num-records", String(RECORDS), "--group", uniqueName("bench-java")],
        { timeoutMs: 600_000 },
      )
    ).stdout,
  ).fetchRecordsPerSec;

async function javaEndToEnd(bs: string, topic: string): Promise<{ p50: number; p99: number }> {
  const r = parseEndToEndLatency(
    (
      await runKafkaTool("org.apache.kafka.tools.EndToEndLatency", [bs, topic, String(E2E_REF_RECORDS), "all", String(RECORD_BYTES)], {
        timeoutMs: 600_000,
      })
    ).stdout,
  );
  return { p50: r.p50Ms, p99: r.p99Ms };
}

/** The app producing and consuming E2E_RATE msg/s; latency percentiles over its newest samples, and its RSS each second. */
async function appSteady(bs: string, topic: string, seconds: number): Promise<{ p50: number; p99: number; rssMiB: number[] }> {
  const total = E2E_RATE * seconds;
  const p = new AppProcess(
    appEnv(bs, topic, {
      APP_ROLE: "both",
      KAFKA_GROUP_ID: uniqueName("bench-e2e"),
      PRODUCE_RATE: String(E2E_RATE),
      PRODUCE_LIMIT: String(total),
    }),
    nodeArgs("app-both"),
  );
  const rssMiB: number[] = [];
  const sampler = setInterval(() => {
    pidusage(p.pid).then(
      (u) => rssMiB.push(u.memory / MIB),
      () => undefined,
    );
  }, 1000);
  try {
    // Polled gently: the app answers in the event loop that also consumes, so polling adds latency.
    await waitFor("app steady run done", async () => (await p.stats(false)).consumer!.consumed >= total, (seconds + 300) * 1000, 2000);
    // The latency ring keeps the newest 20k samples: start-up and the group join fall out of it.
    const { latencyMs } = (await p.stats(false)).consumer!;
    return { p50: latencyMs.p50!, p99: latencyMs.p99!, rssMiB };
  } finally {
    clearInterval(sampler);
    pidusage.clear();
    await p.signal("SIGTERM");
  }
}

/** Runs `fns` in order on even rounds and in reverse on odd ones, so no one always meets the warmer broker. */
async function alternating<T>(round: number, fns: ReadonlyArray<() => Promise<T>>): Promise<T[]> {
  const order = fns.map((_, i) => i);
  if (round % 2) order.reverse();
  const out: T[] = new Array(fns.length);
  for (const i of order) out[i] = await fns[i]();
  return out;
}

const fmt = (n: number): string => (n >= 100 ? Math.round(n).toLocaleString("en-US") : n.toFixed(2));

function table(rows: readonly Row[], limits: readonly Limit[]): string {
  const verdict = (m: boolean | undefined) => (m === undefined ? "" : m ? "yes" : "NO");
  return [
    "| measure | app (median) | reference | reference (median) | app/ref | target | met |",
    "|---|---:|---|---:|---:|---|---|",
    ...rows.map(
      (r) =>
        `| ${r.what} | ${fmt(median(r.app))} ${r.unit} | ${r.refName} | ${fmt(median(r.ref))} ${r.unit} | ${ratio(r).toFixed(2)} | ` +
        `${r.target ? `${r.target.op} ${r.target.limit}` : ""} | ${verdict(met(r))} |`,
    ),
    ...limits.map((l) => `| ${l.what} | ${fmt(l.value)} ${l.unit} | | | | ${l.op} ${l.limit} ${l.unit} | ${verdict(limitMet(l))} |`),
  ].join("\n");
}

async function main(): Promise<void> {
  const jsonAt = process.argv.indexOf("--json");
  const jsonPath = jsonAt > 0 ? process.argv[jsonAt + 1] : undefined;
  ensureBuilt();
  const broker: KafkaBroker = await startKafkaBroker({ partitionsDefault: PARTITIONS });
  try {
    const bs = broker.bootstrap;
    console.log(`bench: ${RECORDS} records x ${RECORD_BYTES} B, acks=all, ${PARTITIONS} partitions, RF 1, ${ROUNDS} rounds, broker ${bs}`);
    const topic = async (prefix: string) => {
      const t = uniqueName(prefix);
      await createTopic(bs, t, PARTITIONS);
      return t;
    };

    // Warm-up: the broker's JIT, page cache and log segments, before anything is timed.
    const warm = await topic("bench-warm");
    await javaProducer(bs, warm);
    await javaConsumer(bs, warm);

    const prod = { app: [] as Runs, bare: [] as Runs, java: [] as Runs };
    const cons = { app: [] as Runs, bare: [] as Runs, java: [] as Runs };
    const e2e = { app50: [] as Runs, app99: [] as Runs, java50: [] as Runs, java99: [] as Runs };
    for (let round = 0; round < ROUNDS; round++) {
      const [tApp, tBare, tJava] = [await topic("bench-app"), await topic("bench-bare"), await topic("bench-java")];
      const [pa, pb, pj] = await alternating(round, [
        () => appProducer(bs, tApp),
        () => bare("producer", bs, tBare),
        () => javaProducer(bs, tJava),
      ]);
      prod.app.push(pa);
      prod.bare.push(pb);
      prod.java.push(pj);
      console.log(`round ${round + 1} producer records/s: app ${fmt(pa)}, bare KafkaJS ${fmt(pb)}, Java ${fmt(pj)}`);
      // All three read the topic the app produced: the same records.
      const [ca, cb, cj] = await alternating(round, [
        () => appConsumer(bs, tApp),
        () => bare("consumer", bs, tApp),
        () => javaConsumer(bs, tApp),
      ]);
      cons.app.push(ca);
      cons.bare.push(cb);
      cons.java.push(cj);
      console.log(`round ${round + 1} consumer records/s: app ${fmt(ca)}, bare KafkaJS ${fmt(cb)}, Java ${fmt(cj)}`);
      const [ea, ej] = await alternating(round, [
        async () => appSteady(bs, await topic("bench-app-e2e"), E2E_SECONDS),
        async () => javaEndToEnd(bs, await topic("bench-java-e2e")),
      ]);
      e2e.app50.push(wholeMs(ea.p50));
      e2e.app99.push(wholeMs(ea.p99));
      e2e.java50.push(ej.p50);
      e2e.java99.push(ej.p99);
      console.log(
        `round ${round + 1} e2e ms: app p50 ${fmt(ea.p50)} p99 ${fmt(ea.p99)} at ${E2E_RATE} msg/s (compared cut to whole ms: ` +
          `${wholeMs(ea.p50)}, ${wholeMs(ea.p99)}); Java p50 ${fmt(ej.p50)} p99 ${fmt(ej.p99)}`,
      );
    }

    console.log(`memory: app producing and consuming ${E2E_RATE} msg/s for ${MEMORY_SECONDS} s ...`);
    const steady = await appSteady(bs, await topic("bench-memory"), MEMORY_SECONDS);
    const rss = steady.rssMiB;
    const growth = growthPercent(rss, Math.min(60, rss.length));
    console.log(`memory: ${rss.length} RSS samples, ${fmt(Math.min(...rss))}-${fmt(Math.max(...rss))} MiB`);

    const rows: Row[] = [
      { what: "producer records/s", unit: "", app: prod.app, refName: "bare KafkaJS", ref: prod.bare, target: { op: ">=", limit: 0.9 } },
      {
        what: "producer records/s",
        unit: "",
        app: prod.app,
        refName: "Java ProducerPerformance",
        ref: prod.java,
        target: { op: ">=", limit: 0.8 },
      },
      { what: "consumer records/s", unit: "", app: cons.app, refName: "bare KafkaJS", ref: cons.bare, target: { op: ">=", limit: 0.9 } },
      {
        what: "consumer records/s",
        unit: "",
        app: cons.app,
        refName: "Java ConsumerPerformance",
        ref: cons.java,
        target: { op: ">=", limit: 0.8 },
      },
      {
        what: `e2e latency p50 at ${E2E_RATE} msg/s, whole ms`,
        unit: "ms",
        app: e2e.app50,
        refName: "Java EndToEndLatency",
        ref: e2e.java50,
        target: { op: "<=", limit: 2 },
      },
      {
        what: `e2e latency p99 at ${E2E_RATE} msg/s, whole ms`,
        unit: "ms",
        app: e2e.app99,
        refName: "Java EndToEndLatency",
        ref: e2e.java99,
        target: { op: "<=", limit: 1.5 },
      },
    ];
    const limits: Limit[] = [
      { what: `app RSS, max over ${MEMORY_SECONDS} s`, unit: "MiB", value: Math.max(...rss), op: "<", limit: 150 },
      { what: "app RSS growth over the last 60 s", unit: "%", value: growth, op: "<", limit: 5 },
    ];
    console.log("\nall rounds (app | reference):");
    for (const r of rows) console.log(`  ${r.what} vs ${r.refName}: ${r.app.map(fmt).join(", ")} | ${r.ref.map(fmt).join(", ")}`);
    console.log(`\n${table(rows, limits)}\n`);
    console.log(
      `notes: app and bare KafkaJS: up to 1000 records per send, ${IN_FLIGHT} sends in flight, no compression; Java producer defaults; ` +
        `consumer figures exclude the group join; app e2e: newest 20k samples at ${E2E_RATE} msg/s (commit per batch); ` +
        `Java e2e: ${E2E_REF_RECORDS} records one at a time (ping-pong); latencies compared in whole ms, as EndToEndLatency prints them.`,
    );

    const result = {
      records: RECORDS,
      rounds: ROUNDS,
      rows: rows.map((r) => ({ ...r, ratio: ratio(r), met: met(r) })),
      limits: limits.map((l) => ({ ...l, met: limitMet(l) })),
      rssMiB: rss,
    };
    mkdirSync(RESULTS, { recursive: true });
    const json = JSON.stringify(result, null, 2);
    writeFileSync(path.join(RESULTS, "bench.json"), json);
    if (jsonPath) writeFileSync(jsonPath, json);
    await execFileP(process.execPath, [
      path.join(__dirname, "chart.mjs"),
      path.join(RESULTS, "bench.json"),
      path.join(RESULTS, "bench.svg"),
    ]);
    console.log(`wrote ${path.relative(process.cwd(), path.join(RESULTS, "bench.json"))} and bench.svg beside it`);
    const missed = [
      ...rows.filter((r) => met(r) === false).map((r) => `${r.what} vs ${r.refName}`),
      ...limits.filter((l) => !limitMet(l)).map((l) => l.what),
    ];
    if (missed.length) {
      console.log(`targets missed: ${missed.join("; ")}`);
      process.exitCode = 1;
    }
  } finally {
    await broker.dispose();
  }
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
