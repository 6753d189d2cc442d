// Exercises test/support/kafka.ts against the real broker it starts: topics, the Java performance
// tools and their parsers on real output, a stop/start keeping data, and the cleanup guarantees.
import * as assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import * as fs from "node:fs/promises";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import {
  acceptsConnections,
  ConsumerPerformanceResult,
  createTopic,
  kafkaClasspath,
  KafkaBroker,
  parseConsumerPerformance,
  parseEndToEndLatency,
  parseProducerPerformance,
  ProducerPerformanceResult,
  runKafkaTool,
  startKafkaBroker,
  topicPartitionCount,
} from "../support/kafka";

const execFileAsync = promisify(execFile);
const scriptsDir = path.resolve(__dirname, "../../scripts/kafka");
const tools = "org.apache.kafka.tools";
const recordSize = 1024;
// An external broker (KAFKA_BOOTSTRAP_SERVERS) keeps topics between runs: names must not repeat.
const runId = Date.now().toString(36);
const topicName = (name: string): string => `broker-test-${name}-${runId}`;

async function produce(bootstrap: string, topic: string, records: number, extra: string[] = []): Promise<ProducerPerformanceResult> {
  const { stdout } = await runKafkaTool(`${tools}.ProducerPerformance`, [
    "--bootstrap-server",
    bootstrap,
    "--topic",
    topic,
    "--num-records",
    String(records),
    "--record-size",
    String(recordSize),
    "--throughput",
    "-1",
    "--command-property",
    "acks=all",
    ...extra,
  ]);
  return parseProducerPerformance(stdout);
}

async function consume(bootstrap: string, topic: string, records: number): Promise<ConsumerPerformanceResult> {
  const { stdout } = await runKafkaTool(`${tools}.ConsumerPerformance`, [
    "--bootstrap-server",
    bootstrap,
    "--topic",
    topic,
    "--num-records",
    String(records),
    // The default 10 s without a record ends the run early while a busy machine joins the group.
    "--timeout",
    "60000",
    // A fresh group per run, so it reads the topic from the beginning.
    "--group",
    `${topic}-${Date.now()}`,
  ]);
  return parseConsumerPerformance(stdout);
}

/** Command lines of all processes, to find leftovers that mention a path. */
async function processesMentioning(text: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await fs.readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = (await fs.readFile(`/proc/${entry}/cmdline`, "utf8")).replace(/\0/g, " ");
      if (cmdline.includes(text)) found.push(`${entry}: ${cmdline}`);
    } catch {
      // Exited while we looked.
    }
  }
  return found;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("Kafka test broker (test/support/kafka.ts)", function () {
  // A cold run fetches ~54 MB with Maven first; every tool run is a JVM start.
  this.timeout(180_000);
  let broker: KafkaBroker;

  before(async function () {
    this.timeout(600_000);
    broker = await startKafkaBroker({ partitionsDefault: 3 });
  });

  after(async () => {
    await broker?.dispose();
  });

  it("creates a topic with 6 partitions and reads the count back", async () => {
    await createTopic(broker.bootstrap, topicName("describe-me"), 6);
    assert.equal(await topicPartitionCount(broker.bootstrap, topicName("describe-me")), 6);
  });

  it("gives auto-created topics partitionsDefault partitions", async function () {
    if (broker.external) {
      console.log("      SKIP: the broker is external (KAFKA_BOOTSTRAP_SERVERS), its num.partitions is not ours");
      this.skip();
    }
    const produced = await produce(broker.bootstrap, topicName("auto-created"), 10);
    assert.equal(produced.records, 10);
    assert.equal(await topicPartitionCount(broker.bootstrap, topicName("auto-created")), 3);
  });

  it("produces with ProducerPerformance and consumes the same records with ConsumerPerformance", async () => {
    const records = 20_000;
    await createTopic(broker.bootstrap, topicName("perf"), 6);
    const produced = await produce(broker.bootstrap, topicName("perf"), records, ["--warmup-records", "5000"]);
    console.log(`      ProducerPerformance: ${JSON.stringify(produced)}`);
    assert.equal(produced.records, records);
    assert.ok(produced.recordsPerSec > 0 && produced.mbPerSec > 0);
    // records/s and MB/s must agree for fixed-size records (MB/s is printed with 2 decimals).
    assert.ok(Math.abs((produced.recordsPerSec * recordSize) / 2 ** 20 - produced.mbPerSec) <= 0.01 + produced.mbPerSec * 0.01);
    assert.ok(produced.p50Ms <= produced.p95Ms && produced.p95Ms <= produced.p99Ms && produced.p99Ms <= produced.p999Ms);
    assert.ok(produced.p999Ms <= produced.maxLatencyMs);
    assert.equal(produced.steadyState?.records, records - 5000);

    const consumed = await consume(broker.bootstrap, topicName("perf"), records);
    console.log(`      ConsumerPerformance: ${JSON.stringify(consumed)}`);
    assert.equal(consumed.records, records);
    assert.ok(Math.abs(consumed.mb - (records * recordSize) / 2 ** 20) < 0.001);
    assert.ok(consumed.recordsPerSec > 0 && consumed.fetchRecordsPerSec >= consumed.recordsPerSec);
    assert.ok(consumed.fetchMs > 0 && consumed.rebalanceMs >= 0);
  });

  it("measures end-to-end latency with EndToEndLatency", async () => {
    await createTopic(broker.bootstrap, topicName("latency"), 1);
    const { stdout } = await runKafkaTool(`${tools}.EndToEndLatency`, [
      "--bootstrap-server",
      broker.bootstrap,
      "--topic",
      topicName("latency"),
      "--num-records",
      "1000",
      "--producer-acks",
      "all",
      "--record-size",
      "512",
    ]);
    const latency = parseEndToEndLatency(stdout);
    console.log(`      EndToEndLatency: ${JSON.stringify(latency)}`);
    assert.ok(latency.avgMs > 0);
    assert.ok(latency.p50Ms <= latency.p99Ms && latency.p99Ms <= latency.p999Ms);
  });

  it("keeps topics and records across stop() and start() on the same port, and reports a failed start", async function () {
    if (broker.external) {
      console.log("      SKIP: the broker is external (KAFKA_BOOTSTRAP_SERVERS), it cannot be restarted here");
      this.skip();
    }
    const records = 2_000;
    await createTopic(broker.bootstrap, topicName("durable"), 6);
    assert.equal((await produce(broker.bootstrap, topicName("durable"), records)).records, records);
    const bootstrap = broker.bootstrap;

    await broker.stop();
    assert.equal(await acceptsConnections(bootstrap), false, "the stopped broker still accepts connections");

    // While something else holds the port, start() must fail and show why from the broker's log.
    const squatter = net.createServer();
    const [host, port] = bootstrap.split(":");
    await new Promise<void>((resolve) => squatter.listen(Number(port), host, resolve));
    try {
      await assert.rejects(broker.start(), /failed to start[\s\S]*Address already in use/);
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }

    const started = Date.now();
    await broker.start();
    console.log(`      restarted in ${Date.now() - started} ms`);
    assert.equal(broker.bootstrap, bootstrap);
    assert.equal(await topicPartitionCount(bootstrap, topicName("durable")), 6);
    assert.equal((await consume(bootstrap, topicName("durable"), records)).records, records);
  });

  it("uses KAFKA_BOOTSTRAP_SERVERS as an external broker that refuses stop/start", async () => {
    const saved = process.env.KAFKA_BOOTSTRAP_SERVERS;
    try {
      process.env.KAFKA_BOOTSTRAP_SERVERS = broker.bootstrap;
      const external = await startKafkaBroker();
      assert.equal(external.external, true);
      assert.equal(external.bootstrap, broker.bootstrap);
      assert.equal(await topicPartitionCount(external.bootstrap, topicName("describe-me")), 6);
      await assert.rejects(external.stop(), /external \(KAFKA_BOOTSTRAP_SERVERS=/);
      await assert.rejects(external.start(), /external \(KAFKA_BOOTSTRAP_SERVERS=/);
      await external.dispose();

      process.env.KAFKA_BOOTSTRAP_SERVERS = "localhost";
      await assert.rejects(startKafkaBroker(), /KAFKA_BOOTSTRAP_SERVERS must be a comma-separated list of host:port/);
    } finally {
      if (saved === undefined) delete process.env.KAFKA_BOOTSTRAP_SERVERS;
      else process.env.KAFKA_BOOTSTRAP_SERVERS = saved;
    }
  });

  it("dispose() ends the JVM and deletes the broker's directory", async function () {
    if (broker.external) {
      console.log("      SKIP: the broker is external (KAFKA_BOOTSTRAP_SERVERS), it is not ours to dispose");
      this.skip();
    }
    const dir = path.dirname(broker.logFile!);
    assert.notDeepEqual(await processesMentioning(dir), [], "the broker JVM should be running before dispose()");
    await broker.dispose();
    assert.deepEqual(await processesMentioning(dir), []);
    await assert.rejects(fs.access(dir), { code: "ENOENT" });
    await assert.rejects(broker.start(), /was disposed/);
  });
});

describe("Kafka test broker when the test run is interrupted", function () {
  this.timeout(300_000);

  it("Ctrl-C (SIGINT) leaves no JVM and no temp dir behind", async function () {
    if (process.env.KAFKA_BOOTSTRAP_SERVERS) {
      console.log("      SKIP: KAFKA_BOOTSTRAP_SERVERS is set, so no broker JVM would be started");
      this.skip();
    }
    const holder = spawn(process.execPath, ["-r", "ts-node/register", path.join(__dirname, "hold-broker.ts")], {
      env: { ...process.env, TS_NODE_TRANSPILE_ONLY: "true" },
      stdio: ["ignore", "pipe", "inherit"],
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => holder.once("exit", (_code, signal) => resolve(signal)));
    const logFile = await new Promise<string>((resolve, reject) => {
      let out = "";
      holder.stdout!.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        const line = out.split("\n").find((l) => l.startsWith("{"));
        if (line) resolve((JSON.parse(line) as { logFile: string }).logFile);
      });
      void exited.then(() => reject(new Error(`hold-broker.ts exited before its broker was ready: ${out}`)));
    });
    const dir = path.dirname(logFile);
    assert.notDeepEqual(await processesMentioning(dir), [], "the broker JVM should be running");

    holder.kill("SIGINT");
    assert.equal(await exited, "SIGINT", "the interrupted process should still end by the signal");
    assert.deepEqual(await processesMentioning(dir), []);
    await assert.rejects(fs.access(dir), { code: "ENOENT" });
  });
});

describe("scripts/kafka/fetch.sh", function () {
  this.timeout(600_000);

  it("does not run Maven once Kafka is in the cache", async () => {
    const libs = path.dirname(await kafkaClasspath());
    const bin = await fs.mkdtemp(path.join(os.tmpdir(), "no-mvn-"));
    try {
      // An mvn that fails loudly: if fetch.sh ran Maven (and so the network), it would fail.
      await fs.writeFile(path.join(bin, "mvn"), "#!/bin/sh\necho 'mvn must not run on a warm cache' >&2\nexit 97\n", {
        mode: 0o755,
      });
      const { stdout } = await execFileAsync("bash", [path.join(scriptsDir, "fetch.sh")], {
        env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
      });
      assert.equal(stdout.trim(), libs);
      const jars = (await fs.readdir(libs)).filter((name) => name.endsWith(".jar"));
      assert.ok(
        jars.some((name) => /^kafka_2\.13-\d/.test(name)),
        `no kafka_2.13 jar in ${libs}`,
      );
      assert.ok(jars.includes("slf4j-api-2.0.17.jar"), "slf4j-api must be the pinned 2.x, not Kafka's 1.7");
    } finally {
      await fs.rm(bin, { recursive: true, force: true });
    }
  });
});

describe("Kafka test broker without a broker", () => {
  it("rejects a bad partitionsDefault, naming the option", async () => {
    await assert.rejects(startKafkaBroker({ partitionsDefault: 0 }), /partitionsDefault must be an integer >= 1, got 0/);
  });

  it("parsers reject output that is not the tool's", () => {
    const unrelated = "Created topic demo.\n";
    assert.throws(() => parseProducerPerformance(unrelated), /ProducerPerformance output has no summary line/);
    assert.throws(() => parseConsumerPerformance(unrelated), /ConsumerPerformance output has no start.time header/);
    assert.throws(() => parseEndToEndLatency(unrelated), /EndToEndLatency output has no Avg latency/);
  });

  it("run-while-stdin-open.sh ends its command when the parent's pipe closes (parent killed)", async () => {
    const pidFile = path.join(await fs.mkdtemp(path.join(os.tmpdir(), "tied-")), "pid");
    const runner = path.join(scriptsDir, "run-while-stdin-open.sh");
    const wrapper = spawn("bash", [runner, "bash", "-c", `echo $$ > ${pidFile}; exec sleep 600`], {
      stdio: ["pipe", "ignore", "inherit"],
    });
    try {
      let pid = 0;
      for (let i = 0; i < 100 && !pid; i++) {
        pid = Number(await fs.readFile(pidFile, "utf8").catch(() => "0"));
        if (!pid) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.ok(pid > 0 && isAlive(pid), "the command should be running");
      const exited = new Promise((resolve) => wrapper.once("exit", resolve));
      wrapper.stdin!.end(); // what the kernel does when the test process dies
      await exited;
      assert.equal(isAlive(pid), false);
    } finally {
      wrapper.kill("SIGKILL");
      await fs.rm(path.dirname(pidFile), { recursive: true, force: true });
    }
  });
});
