// A real single-node Apache Kafka (KRaft) broker for the integration tests and benchmarks, run from
// jars that scripts/kafka/fetch.sh resolves from Maven Central, plus the Kafka command-line tools
// and parsers for the output of the performance tools (the Java reference figures).
import { ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream, rmSync } from "node:fs";
import * as fs from "node:fs/promises";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";

/** A running (or stoppable) Kafka broker. */
export interface KafkaBroker {
  /** Bootstrap servers for clients, `host:port[,host:port...]`. */
  readonly bootstrap: string;
  /** True when the broker came from `KAFKA_BOOTSTRAP_SERVERS` and cannot be stopped or started here. */
  readonly external: boolean;
  /** File receiving the broker's output, kept across restarts; undefined for an external broker. */
  readonly logFile: string | undefined;
  /** Stops the broker process, keeping its data and ports so `start()` brings the same broker back. */
  stop(): Promise<void>;
  /** Starts the broker again on the same ports and log dir; resolves once it serves requests. */
  start(): Promise<void>;
  /** Stops the broker and deletes its data; the broker cannot be used afterwards. */
  dispose(): Promise<void>;
  /** The SASL_SSL listener, when the broker was started with {@link KafkaBrokerOptions.saslSsl}. */
  readonly saslSsl?: SaslSslListener;
}

/** Where a SASL_SSL listener is and the CA its certificate is signed by. */
export interface SaslSslListener {
  /** `host:port` of the listener. */
  readonly bootstrap: string;
  /** PEM file of the throwaway CA that signed the broker's certificate. */
  readonly caFile: string;
}

/**
 * A SASL_SSL listener with SCRAM-SHA-512 next to PLAINTEXT, as the `do` stack's clients see Kafka,
 * with the standard ACL authorizer. PLAINTEXT (the tests' tools and admin clients, replication,
 * the controllers) stays open as a super user; on SASL_SSL a user may do only what ACLs allow.
 */
export interface SaslSslOptions {
  /** SCRAM-SHA-512 users and their passwords, created when the storage is formatted. */
  readonly users: Readonly<Record<string, string>>;
}

/** Options for {@link startKafkaBroker}. */
export interface KafkaBrokerOptions {
  /** `num.partitions` for topics created without a partition count (auto-created ones). */
  readonly partitionsDefault?: number;
  /** Adds a SASL_SSL listener (always a local broker then, even with `KAFKA_BOOTSTRAP_SERVERS`). */
  readonly saslSsl?: SaslSslOptions;
}

/** One node of a {@link KafkaCluster}: a local process the fault tests can crash, freeze and restart. */
export interface KafkaNode extends KafkaBroker {
  /** `node.id`, as in topic metadata (partition leaders, ISR). */
  readonly nodeId: number;
  /** `kill -9` of the node (no clean shutdown); `start()` brings it back with log recovery. */
  kill(): Promise<void>;
  /** SIGSTOP: the process stays, holds its sockets open and answers nothing. */
  pause(): void;
  /** SIGCONT after {@link pause}. */
  resume(): void;
}

/** Several KRaft nodes, each a combined broker + controller, forming one quorum. */
export interface KafkaCluster {
  /** Every node's listener, `host:port,host:port,...`. */
  readonly bootstrap: string;
  readonly nodes: readonly KafkaNode[];
  /** Stops every node and deletes the cluster's data. */
  dispose(): Promise<void>;
}

/** Options for {@link startKafkaCluster}. */
export interface KafkaClusterOptions extends KafkaBrokerOptions {
  /** Number of nodes (>= 1); internal topics get replication factor min(3, nodes). */
  readonly nodes: number;
}

/** Figures from a summary line of `org.apache.kafka.tools.ProducerPerformance`. */
export interface ProducerPerformanceFigures {
  /** Records sent. */
  readonly records: number;
  /** Throughput in records per second. */
  readonly recordsPerSec: number;
  /** Throughput in MB (2^20 bytes) per second. */
  readonly mbPerSec: number;
  /** Mean send latency in milliseconds. */
  readonly avgLatencyMs: number;
  /** Highest send latency in milliseconds. */
  readonly maxLatencyMs: number;
  /** Median send latency in milliseconds. */
  readonly p50Ms: number;
  /** 95th percentile send latency in milliseconds. */
  readonly p95Ms: number;
  /** 99th percentile send latency in milliseconds. */
  readonly p99Ms: number;
  /** 99.9th percentile send latency in milliseconds. */
  readonly p999Ms: number;
}

/** What `ProducerPerformance` reports for the whole run and, with `--warmup-records`, after the warm-up. */
export interface ProducerPerformanceResult extends ProducerPerformanceFigures {
  /** The steady-state summary, printed only when `--warmup-records` was given. */
  readonly steadyState?: ProducerPerformanceFigures;
}

/** Figures from the result row of `org.apache.kafka.tools.ConsumerPerformance`. */
export interface ConsumerPerformanceResult {
  /** Records consumed. */
  readonly records: number;
  /** Data consumed in MB (2^20 bytes). */
  readonly mb: number;
  /** Records per second over the whole run, group join included. */
  readonly recordsPerSec: number;
  /** MB per second over the whole run, group join included. */
  readonly mbPerSec: number;
  /** Time spent joining the group (rebalancing) in milliseconds. */
  readonly rebalanceMs: number;
  /** Time spent fetching, after the group join, in milliseconds. */
  readonly fetchMs: number;
  /** Records per second while fetching. */
  readonly fetchRecordsPerSec: number;
  /** MB per second while fetching. */
  readonly fetchMbPerSec: number;
}

/** Figures from `org.apache.kafka.tools.EndToEndLatency` (one record in flight at a time). */
export interface EndToEndLatencyResult {
  /** Mean produce-to-consume latency in milliseconds. */
  readonly avgMs: number;
  /** Median latency in milliseconds. */
  readonly p50Ms: number;
  /** 99th percentile latency in milliseconds. */
  readonly p99Ms: number;
  /** 99.9th percentile latency in milliseconds. */
  readonly p999Ms: number;
}

const scriptsDir = path.resolve(__dirname, "..", "..", "scripts", "kafka");
const fetchScript = path.join(scriptsDir, "fetch.sh");
const tiedRunner = path.join(scriptsDir, "run-while-stdin-open.sh");
const log4jConfig = path.join(scriptsDir, "log4j2.xml");

/** Printed once the broker is registered and unfenced, i.e. ready for clients. */
const startedMessage = "Kafka Server started";
// 5-7 s on an idle machine, 10-14 s on a restart under load; 40 s seen with several suites running.
const startTimeoutMs = 120_000;
const stopTimeoutMs = 30_000;
const defaultToolTimeoutMs = 120_000;
/** How much of a process's output an error message quotes. */
const tailChars = 6_000;

// Every process started here, so none outlives the test process; true marks a process group
// (a broker: wrapper + JVM), false a single process (a tool).
const liveProcesses = new Map<ChildProcess, boolean>();
// Temp dirs of brokers not yet disposed, removed when a test run ends without disposing them.
const brokerDirs = new Set<string>();

function cleanUp(): void {
  for (const [child, isGroup] of liveProcesses) {
    try {
      process.kill(isGroup ? -child.pid! : child.pid!, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
  liveProcesses.clear();
  for (const dir of brokerDirs) rmSync(dir, { recursive: true, force: true });
  brokerDirs.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  cleanUp();
  // Keep the default behaviour (exit with the signal) unless someone else also handles it.
  if (process.listenerCount(signal) === 1) {
    process.removeListener(signal, onSignal);
    process.kill(process.pid, signal);
  }
}

let exitHandlersInstalled = false;
function installExitHandlers(): void {
  if (exitHandlersInstalled) return;
  exitHandlersInstalled = true;
  process.on("exit", cleanUp);
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
}

function track(child: ChildProcess, isGroup: boolean): void {
  installExitHandlers();
  liveProcesses.set(child, isGroup);
  child.once("exit", () => liveProcesses.delete(child));
}

let libsDir: Promise<string> | undefined;

function fetchKafka(): Promise<string> {
  return new Promise((resolve, reject) => {
    // Passed through: a cold fetch takes a while, and Maven's errors belong in the test output.
    const child = execFile("bash", [fetchScript], { maxBuffer: 1 << 20 }, (error, stdout) => {
      if (error) {
        reject(new Error(`scripts/kafka/fetch.sh failed: ${error.message}`));
      } else {
        resolve(stdout.trim().split("\n").pop()!);
      }
    });
    child.stderr?.pipe(process.stderr);
  });
}

/** Fetches Kafka if needed and returns the Java classpath (`<libs>/*`) of the broker and tools. */
export async function kafkaClasspath(): Promise<string> {
  libsDir ??= fetchKafka();
  try {
    return path.join(await libsDir, "*");
  } catch (error) {
    libsDir = undefined; // let a later call retry
    throw error;
  }
}

async function javaArgs(heap: string, mainClass: string, args: readonly string[]): Promise<string[]> {
  return [
    `-Xmx${heap}`,
    `-Dlog4j2.configurationFile=${log4jConfig}`,
    // The tools format numbers with the default locale; the parsers below expect "1234.5".
    "-Duser.language=en",
    "-Duser.country=US",
    "-cp",
    await kafkaClasspath(),
    mainClass,
    ...args,
  ];
}

function tail(text: string): string {
  return text.length > tailChars ? `...${text.slice(-tailChars)}` : text;
}

/**
 * Runs a Kafka command-line tool by main class (e.g. `org.apache.kafka.tools.TopicCommand`) to
 * completion. Rejects with its exit status and output when it fails or exceeds `timeoutMs`.
 * The error quotes `args`: pass secrets in a `--command-config` file, never as arguments.
 */
export async function runKafkaTool(
  mainClass: string,
  args: string[],
  opts: { timeoutMs?: number } = {},
): Promise<{ stdout: string; stderr: string }> {
  const timeoutMs = opts.timeoutMs ?? defaultToolTimeoutMs;
  const argv = await javaArgs("512M", mainClass, args);
  return new Promise((resolve, reject) => {
    const child = execFile("java", argv, { timeout: timeoutMs, killSignal: "SIGKILL", maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      if (!error) {
        resolve({ stdout, stderr });
        return;
      }
      const why = child.killed ? `timed out after ${timeoutMs} ms` : error.message.split("\n")[0];
      reject(new Error(`${mainClass} ${args.join(" ")}: ${why}\n--- stdout ---\n${tail(stdout)}\n--- stderr ---\n${tail(stderr)}`));
    });
    track(child, false);
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Whether something accepts TCP connections at `host:port` (e.g. a broker's bootstrap address). */
export function acceptsConnections(hostPort: string): Promise<boolean> {
  const at = hostPort.lastIndexOf(":");
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostPort.slice(0, at), port: Number(hostPort.slice(at + 1)) });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** Where one node listens and which quorum it belongs to. */
interface NodeLayout {
  readonly nodeId: number;
  readonly port: number;
  readonly controllerPort: number;
  /** The SASL_SSL listener's port and the PEM file with its key and certificate. */
  readonly saslSsl?: { readonly port: number; readonly keystore: string };
}

function saslSslProperties(node: NodeLayout): string[] {
  if (!node.saslSsl) return [];
  return [
    "sasl.enabled.mechanisms=SCRAM-SHA-512",
    "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;",
    // Key and certificate chain in one PEM file: no keytool, no JKS.
    "ssl.keystore.type=PEM",
    `ssl.keystore.location=${node.saslSsl.keystore}`,
    "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
    // PLAINTEXT and CONTROLLER clients are ANONYMOUS: replication, controllers and the tests' tools.
    "super.users=User:ANONYMOUS",
    "allow.everyone.if.no.acl.found=false",
  ];
}

function serverProperties(dataDir: string, node: NodeLayout, all: readonly NodeLayout[], partitions: number): string {
  // Internal topics must fit on the brokers there are, and survive one of them failing when they can.
  const rf = Math.min(3, all.length);
  const minIsr = Math.max(1, rf - 1);
  const secure = node.saslSsl ? `,SASL_SSL://127.0.0.1:${node.saslSsl.port}` : "";
  const quorum =
    all.length === 1
      ? // `format --standalone` needs the bootstrap form; controller.quorum.voters is rejected.
        `controller.quorum.bootstrap.servers=127.0.0.1:${node.controllerPort}`
      : // A static quorum: every node is formatted alike and none has to be added at run time.
        `controller.quorum.voters=${all.map((n) => `${n.nodeId}@127.0.0.1:${n.controllerPort}`).join(",")}`;
  return [
    "process.roles=broker,controller",
    `node.id=${node.nodeId}`,
    `listeners=PLAINTEXT://127.0.0.1:${node.port},CONTROLLER://127.0.0.1:${node.controllerPort}${secure}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${node.port}${secure}`,
    "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL",
    ...saslSslProperties(node),
    "controller.listener.names=CONTROLLER",
    "inter.broker.listener.name=PLAINTEXT",
    quorum,
    `log.dirs=${dataDir}`,
    `num.partitions=${partitions}`,
    `offsets.topic.replication.factor=${rf}`,
    `transaction.state.log.replication.factor=${rf}`,
    `transaction.state.log.min.isr=${minIsr}`,
    `share.coordinator.state.topic.replication.factor=${rf}`,
    `share.coordinator.state.topic.min.isr=${minIsr}`,
    // Tests and benchmarks run one consumer per group: do not wait 3 s for more members.
    "group.initial.rebalance.delay.ms=0",
    // The first consumer group creates __consumer_offsets; 50 partitions (the default) take
    // seconds to create on a busy machine and buy nothing with a handful of groups.
    "offsets.topic.num.partitions=1",
    "",
  ].join("\n");
}

class LocalKafkaBroker implements KafkaNode {
  readonly external = false;
  private child: ChildProcess | undefined;
  private disposed = false;
  private paused = false;

  constructor(
    private readonly dir: string,
    private readonly port: number,
    readonly nodeId = 1,
    readonly saslSsl?: SaslSslListener,
  ) {}

  get bootstrap(): string {
    return `127.0.0.1:${this.port}`;
  }

  private get propertiesFile(): string {
    return path.join(this.dir, "server.properties");
  }

  get logFile(): string {
    return path.join(this.dir, "broker.log");
  }

  async start(): Promise<void> {
    if (this.disposed) throw new Error(`Kafka broker ${this.bootstrap} was disposed`);
    if (this.child) return;
    const argv = await javaArgs("1G", "kafka.Kafka", [this.propertiesFile]);
    // detached: the wrapper and the JVM form their own process group, killed as one on exit.
    const child = spawn("bash", [tiedRunner, "java", ...argv], { detached: true, stdio: ["pipe", "pipe", "pipe"] });
    track(child, true);
    this.child = child;
    const log = createWriteStream(this.logFile, { flags: "a" });
    let recent = "";
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "${startedMessage}" within ${startTimeoutMs} ms`)), startTimeoutMs);
      const onOutput = (chunk: Buffer): void => {
        log.write(chunk);
        recent = (recent + chunk.toString()).slice(-tailChars);
        if (recent.includes(startedMessage)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on("data", onOutput);
      child.stderr!.on("data", onOutput);
      child.once("error", (error) => {
        clearTimeout(timer);
        reject(error);
      });
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        log.end();
        if (this.child === child) this.child = undefined;
        reject(new Error(`broker exited (code ${code}, signal ${signal})`));
      });
    });
    try {
      await ready;
      if (!(await acceptsConnections(this.bootstrap))) throw new Error(`started, but port ${this.port} refuses connections`);
    } catch (error) {
      await this.stop();
      throw new Error(
        `Kafka broker on ${this.bootstrap} failed to start: ${(error as Error).message}\n` + `--- ${this.logFile} (tail) ---\n${recent}`,
        { cause: error },
      );
    }
  }

  async kill(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    this.paused = false;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    // The whole group: the JVM must die at once, not after the wrapper passes a signal on.
    process.kill(-child.pid!, "SIGKILL");
    await exited;
    child.stdin?.destroy();
  }

  pause(): void {
    if (!this.child) throw new Error(`Kafka node ${this.nodeId} is not running`);
    process.kill(-this.child.pid!, "SIGSTOP");
    this.paused = true;
  }

  resume(): void {
    if (!this.child || !this.paused) return;
    process.kill(-this.child.pid!, "SIGCONT");
    this.paused = false;
  }

  async stop(): Promise<void> {
    // A stopped JVM cannot run its shutdown hook: let it go on first.
    this.resume();
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    // SIGTERM to the wrapper is passed to the JVM, which shuts down cleanly (no log recovery on restart).
    child.kill("SIGTERM");
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), stopTimeoutMs);
    });
    if (await Promise.race([exited.then(() => false), timedOut])) {
      process.kill(-child.pid!, "SIGKILL");
      await exited;
    }
    clearTimeout(timer);
    child.stdin?.destroy();
  }

  async dispose(): Promise<void> {
    await this.stop();
    this.disposed = true;
    await fs.rm(this.dir, { recursive: true, force: true });
    brokerDirs.delete(this.dir);
  }
}

class ExternalKafkaBroker implements KafkaBroker {
  readonly external = true;
  readonly logFile = undefined;

  constructor(readonly bootstrap: string) {}

  private refuse(action: string): never {
    throw new Error(
      `cannot ${action} the Kafka broker: it is external (KAFKA_BOOTSTRAP_SERVERS=${this.bootstrap}); ` +
        "unset KAFKA_BOOTSTRAP_SERVERS to let the tests run their own broker",
    );
  }

  async stop(): Promise<void> {
    this.refuse("stop");
  }

  async start(): Promise<void> {
    this.refuse("start");
  }

  async dispose(): Promise<void> {
    // Not ours to stop or clean up.
  }
}

function externalBootstrap(value: string): string {
  const entries = value.split(",").map((entry) => entry.trim());
  for (const entry of entries) {
    const match = /^(.+):(\d+)$/.exec(entry);
    if (!match || Number(match[2]) < 1 || Number(match[2]) > 65535) {
      throw new Error(`KAFKA_BOOTSTRAP_SERVERS must be a comma-separated list of host:port (port 1-65535), got "${value}"`);
    }
  }
  return entries.join(",");
}

/**
 * Starts a fresh single-node KRaft broker on free 127.0.0.1 ports in a temp dir (fetching Kafka
 * first if needed), or, when `KAFKA_BOOTSTRAP_SERVERS` is set, returns that existing broker.
 */
export async function startKafkaBroker(opts: KafkaBrokerOptions = {}): Promise<KafkaBroker> {
  const partitions = defaultPartitions(opts);
  const existing = process.env.KAFKA_BOOTSTRAP_SERVERS;
  if (existing !== undefined && existing !== "" && !opts.saslSsl) {
    const broker = new ExternalKafkaBroker(externalBootstrap(existing));
    console.log(`Kafka: using the external broker ${broker.bootstrap} (KAFKA_BOOTSTRAP_SERVERS)`);
    return broker;
  }

  const started = Date.now();
  const [broker] = await startNodes(1, partitions, opts.saslSsl);
  console.log(`Kafka: broker ${broker.bootstrap} ready in ${Date.now() - started} ms (data and log in ${path.dirname(broker.logFile)})`);
  return broker;
}

/**
 * Starts `nodes` KRaft nodes (each broker + controller, one static quorum) on free 127.0.0.1 ports
 * from the same jars as {@link startKafkaBroker}. Always local, even with `KAFKA_BOOTSTRAP_SERVERS`
 * set: its users crash and freeze nodes.
 */
export async function startKafkaCluster(opts: KafkaClusterOptions): Promise<KafkaCluster> {
  const partitions = defaultPartitions(opts);
  if (!Number.isInteger(opts.nodes) || opts.nodes < 1) throw new Error(`nodes must be an integer >= 1, got ${opts.nodes}`);
  const started = Date.now();
  const nodes = await startNodes(opts.nodes, partitions);
  const bootstrap = nodes.map((n) => n.bootstrap).join(",");
  const dir = path.dirname(path.dirname(nodes[0].logFile));
  console.log(`Kafka: ${nodes.length} nodes ${bootstrap} ready in ${Date.now() - started} ms (data and logs in ${dir})`);
  return {
    bootstrap,
    nodes,
    async dispose() {
      await Promise.all(nodes.map((n) => n.dispose()));
      await fs.rm(dir, { recursive: true, force: true });
      brokerDirs.delete(dir);
    },
  };
}

function defaultPartitions(opts: KafkaBrokerOptions): number {
  const partitions = opts.partitionsDefault ?? 1;
  if (!Number.isInteger(partitions) || partitions < 1) {
    throw new Error(`partitionsDefault must be an integer >= 1, got ${partitions}`);
  }
  return partitions;
}

/** Kafka's `Uuid.randomUuid()`: 16 random bytes, URL-safe base64, never starting with "-". */
function clusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString("base64url");
    if (!id.startsWith("-")) return id;
  }
}

async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  // Bounded: the kernel hands out distinct ephemeral ports almost always.
  for (let i = 0; ports.size < count && i < count * 20; i++) ports.add(await freePort());
  if (ports.size < count) throw new Error(`could not find ${count} distinct free ports`);
  return [...ports];
}

/**
 * Formats and starts `count` nodes in a fresh temp dir. One node lives in the dir itself (the
 * single-broker layout); several get a subdir each, so each keeps its own data and log.
 */
async function startNodes(count: number, partitions: number, saslSsl?: SaslSslOptions): Promise<LocalKafkaBroker[]> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), count === 1 ? "kafka-broker-" : "kafka-cluster-"));
  installExitHandlers();
  brokerDirs.add(dir);
  const nodes: LocalKafkaBroker[] = [];
  try {
    const perNode = saslSsl ? 3 : 2;
    const ports = await distinctFreePorts(perNode * count);
    const ca = saslSsl ? await createCertificateAuthority(path.join(dir, "ca")) : undefined;
    const layout: NodeLayout[] = await Promise.all(
      Array.from({ length: count }, async (_, i) => ({
        nodeId: i + 1,
        port: ports[perNode * i],
        controllerPort: ports[perNode * i + 1],
        saslSsl: ca
          ? { port: ports[perNode * i + 2], keystore: await ca.issue(path.join(dir, `node-${i + 1}-tls`), "127.0.0.1") }
          : undefined,
      })),
    );
    const id = clusterId();
    // SCRAM credentials are metadata records; format writes them before the first start.
    const scram = Object.entries(saslSsl?.users ?? {}).flatMap(([name, password]) => [
      "--add-scram",
      `SCRAM-SHA-512=[name=${name},password=${password}]`,
    ]);
    await Promise.all(
      layout.map(async (node) => {
        const nodeDir = count === 1 ? dir : path.join(dir, `node-${node.nodeId}`);
        await fs.mkdir(nodeDir, { recursive: true });
        const properties = path.join(nodeDir, "server.properties");
        await fs.writeFile(properties, serverProperties(path.join(nodeDir, "data"), node, layout, partitions));
        await runKafkaTool("kafka.tools.StorageTool", [
          "format",
          "-t",
          id,
          "-c",
          properties,
          ...(count === 1 ? ["--standalone"] : []),
          ...scram,
        ]);
        const listener = node.saslSsl && ca ? { bootstrap: `127.0.0.1:${node.saslSsl.port}`, caFile: ca.certFile } : undefined;
        nodes.push(new LocalKafkaBroker(nodeDir, node.port, node.nodeId, listener));
      }),
    );
    nodes.sort((a, b) => a.nodeId - b.nodeId);
    // Together: a node's broker only starts once a majority of the quorum is up.
    await Promise.all(nodes.map((n) => n.start()));
    return nodes;
  } catch (error) {
    await Promise.all(nodes.map((n) => n.stop()));
    await fs.rm(dir, { recursive: true, force: true });
    brokerDirs.delete(dir);
    throw error;
  }
}

/** A throwaway certificate authority made with openssl. */
export interface CertificateAuthority {
  /** PEM file of the CA's certificate (what clients trust). */
  readonly certFile: string;
  /**
   * Makes a key and a certificate for `ip` signed by this CA in `dir`; returns one PEM file with
   * the key (PKCS#8, unencrypted) and the certificate chain, as Kafka's PEM keystore wants it.
   */
  issue(dir: string, ip: string): Promise<string>;
}

async function openssl(args: string[]): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    execFile("openssl", args, { timeout: 60_000 }, (error, _stdout, stderr) =>
      error ? reject(new Error(`openssl ${args[0]} failed: ${error.message}\n${stderr}`)) : resolve(),
    );
  });
}

/** Creates a CA (key and self-signed certificate, valid 2 days) in `dir` with openssl. */
export async function createCertificateAuthority(dir: string): Promise<CertificateAuthority> {
  await fs.mkdir(dir, { recursive: true });
  const key = path.join(dir, "ca.key");
  const certFile = path.join(dir, "ca.pem");
  await openssl([
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    key,
    "-out",
    certFile,
    "-days",
    "2",
    "-subj",
    `/CN=kafka-on-k8s test CA ${path.basename(path.dirname(dir))}`,
  ]);
  return {
    certFile,
    async issue(to: string, ip: string): Promise<string> {
      await fs.mkdir(to, { recursive: true });
      const [leafKey, csr, cert, ext, pem] = ["tls.key", "tls.csr", "tls.crt", "san.ext", "keystore.pem"].map((f) => path.join(to, f));
      await fs.writeFile(ext, `subjectAltName=IP:${ip}\n`);
      await openssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", leafKey, "-out", csr, "-subj", `/CN=${ip}`]);
      await openssl([
        "x509",
        "-req",
        "-in",
        csr,
        "-CA",
        certFile,
        "-CAkey",
        key,
        "-CAcreateserial",
        "-out",
        cert,
        "-days",
        "2",
        "-extfile",
        ext,
      ]);
      await fs.writeFile(
        pem,
        (await fs.readFile(leafKey, "utf8")) + (await fs.readFile(cert, "utf8")) + (await fs.readFile(certFile, "utf8")),
      );
      return pem;
    },
  };
}

/** Replication of a topic made by {@link createTopic}. */
export interface TopicReplication {
  /** Replicas per partition; 1 unless given. */
  readonly replicationFactor?: number;
  /** `min.insync.replicas` of the topic; the broker default (1) unless given. */
  readonly minInsyncReplicas?: number;
}

/** Creates a topic with `org.apache.kafka.tools.TopicCommand`. */
export async function createTopic(bootstrap: string, topic: string, partitions: number, replication: TopicReplication = {}): Promise<void> {
  const { replicationFactor = 1, minInsyncReplicas } = replication;
  await runKafkaTool("org.apache.kafka.tools.TopicCommand", [
    "--bootstrap-server",
    bootstrap,
    "--create",
    "--topic",
    topic,
    "--partitions",
    String(partitions),
    "--replication-factor",
    String(replicationFactor),
    ...(minInsyncReplicas === undefined ? [] : ["--config", `min.insync.replicas=${minInsyncReplicas}`]),
  ]);
}

/** Reads a topic's partition count back from the broker with `TopicCommand --describe`. */
export async function topicPartitionCount(bootstrap: string, topic: string): Promise<number> {
  const { stdout } = await runKafkaTool("org.apache.kafka.tools.TopicCommand", [
    "--bootstrap-server",
    bootstrap,
    "--describe",
    "--topic",
    topic,
  ]);
  const match = /PartitionCount: (\d+)/.exec(stdout);
  if (!match) throw parseError("TopicCommand --describe", "PartitionCount", stdout);
  return Number(match[1]);
}

const number = String.raw`(\d+(?:\.\d+)?)`;

function parseError(tool: string, expected: string, output: string): Error {
  return new Error(`${tool} output has no ${expected}:\n${tail(output)}`);
}

/**
 * Parses the summary lines of `ProducerPerformance` (the ones with percentiles, not the periodic
 * progress lines): the whole run and, with `--warmup-records`, the steady state.
 */
export function parseProducerPerformance(stdout: string): ProducerPerformanceResult {
  const summary = new RegExp(
    `^${number}( steady state)? records sent, ${number} records/sec \\(${number} MB/sec\\), ` +
      `${number} ms avg latency, ${number} ms max latency, ${number} ms 50th, ${number} ms 95th, ` +
      `${number} ms 99th, ${number} ms 99.9th\\.$`,
    "gm",
  );
  let overall: ProducerPerformanceFigures | undefined;
  let steadyState: ProducerPerformanceFigures | undefined;
  for (const match of stdout.matchAll(summary)) {
    const [records, recordsPerSec, mbPerSec, avgLatencyMs, maxLatencyMs, p50Ms, p95Ms, p99Ms, p999Ms] = [match[1], ...match.slice(3)].map(
      Number,
    );
    const figures = { records, recordsPerSec, mbPerSec, avgLatencyMs, maxLatencyMs, p50Ms, p95Ms, p99Ms, p999Ms };
    if (match[2]) steadyState = figures;
    else overall = figures;
  }
  if (!overall) throw parseError("ProducerPerformance", "summary line with percentiles", stdout);
  return steadyState ? { ...overall, steadyState } : overall;
}

/** Parses the header and result row that `ConsumerPerformance` prints (without `--show-detailed-stats`). */
export function parseConsumerPerformance(stdout: string): ConsumerPerformanceResult {
  const lines = stdout.split("\n").map((line) => line.trim());
  const headerAt = lines.findIndex((line) => line.startsWith("start.time,"));
  if (headerAt < 0) throw parseError("ConsumerPerformance", "start.time header", stdout);
  const header = lines[headerAt].split(",").map((field) => field.trim());
  // Warnings (e.g. "Exiting before consuming the expected number of records") may precede the row.
  const row = lines
    .slice(headerAt + 1)
    .map((line) => line.split(",").map((field) => field.trim()))
    .find((fields) => fields.length === header.length);
  if (!row) throw parseError("ConsumerPerformance", "result row under the start.time header", stdout);
  const field = (name: string): number => {
    const at = header.indexOf(name);
    const value = at < 0 ? NaN : Number(row[at]);
    if (Number.isNaN(value)) throw parseError("ConsumerPerformance", `numeric ${name}`, stdout);
    return value;
  };
  return {
    records: field("data.consumed.in.nMsg"),
    mb: field("data.consumed.in.MB"),
    recordsPerSec: field("nMsg.sec"),
    mbPerSec: field("MB.sec"),
    rebalanceMs: field("rebalance.time.ms"),
    fetchMs: field("fetch.time.ms"),
    fetchRecordsPerSec: field("fetch.nMsg.sec"),
    fetchMbPerSec: field("fetch.MB.sec"),
  };
}

/** Parses the average and percentile lines that `EndToEndLatency` prints at the end. */
export function parseEndToEndLatency(stdout: string): EndToEndLatencyResult {
  const avg = new RegExp(`Avg latency: ${number} ms`).exec(stdout);
  const percentiles = new RegExp(`Percentiles: 50th = ${number}, 99th = ${number}, 99.9th = ${number}`).exec(stdout);
  if (!avg || !percentiles) throw parseError("EndToEndLatency", "Avg latency and Percentiles lines", stdout);
  const [p50Ms, p99Ms, p999Ms] = percentiles.slice(1).map(Number);
  return { avgMs: Number(avg[1]), p50Ms, p99Ms, p999Ms };
}
