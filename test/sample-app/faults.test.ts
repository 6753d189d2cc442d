// The sample app as separate processes against a 3-node KRaft cluster (topic 6 x RF 3, min ISR 2)
// while brokers and consumers fail. KafkaJS 2.2.4 was seen to resolve a send() whose messages for
// some partitions were never stored (kafkajs#1303); the window is a few hundred milliseconds, so each
// fault is repeated. Ground truth is the topic itself, read back after the producer stopped.
import { strict as assert } from "node:assert";
import { mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { Kafka, logLevel, type Admin } from "../../sample-app/node_modules/kafkajs";
import { CLIENT_RETRY } from "../../sample-app/src/contract";
import type { StreamSummary } from "../../sample-app/src/sequence";
import { startKafkaCluster, type KafkaCluster, type KafkaNode } from "../support/kafka";
import { AppProcess, ensureBuilt, mergeStreams, waitFor } from "./app-process";
import { createTopic, readTopic, uniqueName } from "./topics";

const PARTITIONS = 6;
const RATE = 500;
/** Longer than the app's consumer session timeout (10 s) and the brokers' (9 s): both must expire. */
const PAUSE_MS = 15_000;
/** What "consumption resumes within 30 s" allows for any one partition. */
const MAX_STALL_MS = 30_000;
/**
 * For a second pause that lands while the group still recovers from the first: the two pauses back
 * to back, then what one fault is allowed. The group cannot recover while brokers keep stopping;
 * measured: one stall of 21-37 s across both faults (3 runs; a consumer re-joining while the next
 * coordinator is paused waits out a 30 s request timeout).
 */
const MAX_STALL_TWO_FAULTS_MS = 2 * PAUSE_MS + MAX_STALL_MS;
const SAMPLE_MS = 500;

/** Every app process's log of a scenario goes here, for reading a failure after the fact. */
const ARTIFACTS = path.resolve(__dirname, "..", "..", "test-artifacts", "faults");

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Per-partition progress of the consumers together, to measure how long a partition stood still. */
class StallMeter {
  /** Per partition: [start, end] of each time it made no progress between two samples. */
  private readonly still = new Map<number, Array<[number, number]>>();
  private readonly last = new Map<number, { count: number; since: number }>();

  sample(t: number, views: ReadonlyArray<readonly StreamSummary[]>): void {
    const merged = mergeStreams(views);
    const partitionOf = new Map(views.flat().map((s) => [s.stream, s.partition]));
    const perPartition = new Map<number, number>();
    for (const [stream, m] of merged) {
      const p = partitionOf.get(stream)!;
      perPartition.set(p, (perPartition.get(p) ?? 0) + m.ranges.reduce((n, [a, b]) => n + b - a + 1, 0));
    }
    for (const [p, count] of perPartition) {
      const prev = this.last.get(p);
      if (!prev || count > prev.count) {
        if (prev && t - prev.since > SAMPLE_MS * 2) this.runs(p).push([prev.since, t]);
        this.last.set(p, { count, since: t });
      }
    }
  }

  /** Whether every partition made progress after `t`. */
  movedSince(t: number): boolean {
    return this.last.size > 0 && [...this.last.values()].every(({ since }) => since > t);
  }

  /** Closes still-open runs (a partition that never resumed) at `t`. */
  close(t: number): void {
    for (const [p, { since }] of this.last) if (t - since > SAMPLE_MS * 2) this.runs(p).push([since, t]);
  }

  /** Longest time any partition stood still, among the runs overlapping [from, to). */
  longest(from: number, to: number): number {
    let max = 0;
    for (const runs of this.still.values()) for (const [a, b] of runs) if (b > from && a < to) max = Math.max(max, b - a);
    return max;
  }

  private runs(p: number): Array<[number, number]> {
    let r = this.still.get(p);
    if (!r) this.still.set(p, (r = []));
    return r;
  }
}

describe("sample app on a 3-broker cluster under faults (RF 3, min ISR 2)", function () {
  this.timeout(600_000);
  let cluster: KafkaCluster;
  let kafka: Kafka;
  let admin: Admin;
  const running: AppProcess[] = [];

  before(async function () {
    this.timeout(300_000);
    ensureBuilt();
    cluster = await startKafkaCluster({ nodes: 3, partitionsDefault: PARTITIONS });
    // The test's own admin rides out the faults it makes, as the app's client does.
    kafka = new Kafka({ brokers: cluster.bootstrap.split(","), logLevel: logLevel.NOTHING, retry: CLIENT_RETRY });
    admin = kafka.admin();
    await admin.connect();
  });

  afterEach(async function () {
    this.timeout(300_000);
    for (const p of running.splice(0)) p.kill();
    // The next test needs the whole cluster back, whatever this one left behind.
    for (const n of cluster?.nodes ?? []) n.resume();
    await Promise.all((cluster?.nodes ?? []).map((n) => n.start()));
  });

  after(async () => {
    await admin?.disconnect().catch(() => undefined);
    await cluster?.dispose();
  });

  async function partitionMetadata(topic: string) {
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    return topics[0].partitions;
  }

  /** The node leading the most partitions of `topic`. */
  async function busiestLeader(topic: string): Promise<{ node: KafkaNode; leads: number }> {
    const counts = new Map<number, number>();
    for (const p of await partitionMetadata(topic)) counts.set(p.leader, (counts.get(p.leader) ?? 0) + 1);
    const [nodeId, leads] = [...counts].sort((a, b) => b[1] - a[1])[0];
    return { node: cluster.nodes.find((n) => n.nodeId === nodeId)!, leads };
  }

  /** SIGSTOPs the node leading most partitions of `topic`, marked as a fault, and SIGCONTs it PAUSE_MS later. */
  async function pauseBusiestLeader(topic: string, fault: (label: string) => void, labelEnd = ""): Promise<void> {
    const { node, leads } = await busiestLeader(topic);
    fault(`SIGSTOP node ${node.nodeId} (leads ${leads}/${PARTITIONS})${labelEnd}`);
    node.pause();
    await sleep(PAUSE_MS);
    node.resume();
  }

  /** Waits until every partition of `topic` has all 3 replicas in sync again. */
  async function fullIsr(topic: string): Promise<void> {
    await waitFor(
      `${topic}: ISR of 3 on every partition`,
      async () => (await partitionMetadata(topic)).every((p) => p.isr.length === 3 && p.leader >= 0),
      180_000,
      1000,
    );
  }

  interface Scenario {
    readonly topic: string;
    /** Starts a consumer replica, watched like the others. */
    consumer(name: string): AppProcess;
    /** The consumer processes still running. */
    consumers(): AppProcess[];
    /** Marks the start of a fault, for the stall figures. */
    fault(label: string): void;
    /**
     * Resolves once every partition is consumed again, so a round's fault does not fall into the
     * previous one's recovery (a consumer re-joining while the next coordinator paused stood still
     * 35 s, two faults in one: the pause-during-recovery test covers that with its own bound).
     */
    recovered(): Promise<void>;
    /**
     * Marks `p` (owning `partitions`) as killed on purpose; its last sampled view stays in the
     * reconciliation. Returns the map to fill with the group's committed offsets after the kill.
     */
    killed(p: AppProcess, partitions: number[]): Map<number, number>;
  }

  /**
   * One producer at RATE msg/s and two consumers on a fresh topic; `faults` runs while they work.
   * Then the producer is stopped cleanly and everything it counted as acknowledged is looked for in
   * the topic and in the consumers' sequence ranges.
   */
  async function scenario(name: string, faults: (s: Scenario) => Promise<void>, maxStallMs = MAX_STALL_MS): Promise<void> {
    const topic = uniqueName(name);
    await createTopic(cluster.bootstrap, topic, PARTITIONS, { replicationFactor: 3, minInsyncReplicas: 2 });
    const env = { KAFKA_BROKERS: cluster.bootstrap, KAFKA_TOPIC: topic, KAFKA_GROUP_ID: topic, LOG_LEVEL: "info" };
    const unexpectedExits: string[] = [];
    const onPurpose = new Set<AppProcess>();
    const lastView = new Map<AppProcess, StreamSummary[]>();
    const live: AppProcess[] = [];
    const victims: Array<{ committedAtKill: Map<number, number>; partitions: Set<number> }> = [];
    const labels = new Map<AppProcess, string>();
    const start = (label: string, extra: Record<string, string>): AppProcess => {
      const p = new AppProcess({ ...env, KAFKA_CLIENT_ID: label, ...extra });
      labels.set(p, label);
      running.push(p);
      void p.exited.then((code) => {
        if (!onPurpose.has(p)) unexpectedExits.push(`${label} exited with ${code}:\n${p.tail()}`);
      });
      return p;
    };
    const producer = start("producer", { APP_ROLE: "producer", PRODUCE_RATE: String(RATE) });
    const consumer = (label: string) => {
      const p = start(label, { APP_ROLE: "consumer" });
      live.push(p);
      return p;
    };
    consumer("consumer-a");
    consumer("consumer-b");
    const faultsAt: Array<{ label: string; t: number }> = [];
    const meter = new StallMeter();
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        await Promise.all(
          live.map(async (p) => {
            if (onPurpose.has(p)) return;
            const s = await p.stats().catch(() => undefined);
            if (s?.streams) lastView.set(p, s.streams);
          }),
        );
        meter.sample(Date.now(), [...lastView.values()]);
        await sleep(SAMPLE_MS);
      }
    })();
    try {
      await waitFor(
        "both consumers own partitions and consume",
        async () => {
          const all = await Promise.all(live.map((p) => p.stats(false)));
          return all.every((s) => s.consumer!.partitions.length > 0) && all.reduce((n, s) => n + s.consumer!.consumed, 0) > 2000;
        },
        120_000,
      );
      const producerId = (await producer.stats(false)).producer!.id;

      await faults({
        topic,
        consumer,
        consumers: () => live.filter((p) => !onPurpose.has(p)),
        fault: (label) => {
          faultsAt.push({ label, t: Date.now() });
          console.log(`    ${new Date().toISOString().slice(11, 19)} ${label}`);
        },
        recovered: async () => {
          const from = Date.now();
          await waitFor("every partition consumed again", async () => meter.movedSince(from), 120_000, SAMPLE_MS);
        },
        killed: (p, partitions) => {
          onPurpose.add(p);
          const committedAtKill = new Map<number, number>();
          victims.push({ committedAtKill, partitions: new Set(partitions) });
          return committedAtKill;
        },
      });

      // Everything healthy again, and some traffic after the last fault, before the producer stops.
      await fullIsr(topic);
      await sleep(3000);
      const faultsEnd = Date.now();
      const sending = (await producer.stats(false)).producer!;
      onPurpose.add(producer);
      assert.equal(await producer.signal("SIGTERM"), 0, `producer exit code; output:\n${producer.tail()}`);
      const stopped = producer.lines.find((l) => l.msg === "stopped cleanly")!;
      const acknowledged = stopped.produced as number;
      const unsent = producer.lines.find((l) => l.msg === "stopping with messages Kafka never acknowledged");
      assert.equal(unsent, undefined, "the producer stopped with batches Kafka never acknowledged, on a healthy cluster");

      // Ground truth: the topic itself.
      const stored = await readTopic(kafka, admin, topic);
      const mine = stored.tracker.summaries().filter((s) => s.stream.startsWith(`${producerId}|`));
      const inTopic = mine.reduce((n, s) => n + s.ranges.reduce((m, [a, b]) => m + b - a + 1, 0), 0);
      const holes = mine
        .filter((s) => s.ranges.length !== 1 || s.ranges[0][0] !== 0)
        .map((s) => `${s.stream} (partition ${s.partition}): ${JSON.stringify(s.ranges)}`);
      const lostInTopic = acknowledged - inTopic;

      // What no consumer reports: only messages a killed consumer processed after its last sample
      // and committed before it died are allowed (the group never hands those out again).
      let views: StreamSummary[][] = [];
      const reconcile = () => {
        const merged = mergeStreams(views);
        let unseen = 0;
        let processedByVictims = 0;
        for (const [stream, seqs] of stored.where) {
          if (!stream.startsWith(`${producerId}|`)) continue;
          const ranges = merged.get(stream)?.ranges ?? [];
          for (const [seq, at] of seqs) {
            if (ranges.some(([a, b]) => a <= seq && seq <= b)) continue;
            if (victims.some((v) => v.partitions.has(at.partition) && at.offset < (v.committedAtKill.get(at.partition) ?? -1)))
              processedByVictims++;
            else unseen++;
          }
        }
        return { unseen, processedByVictims };
      };
      // Bounded: a message that is not in the topic never reaches a consumer.
      await waitFor(
        "consumers caught up with the topic",
        async () => {
          for (const p of live) if (!onPurpose.has(p)) lastView.set(p, (await p.stats()).streams!);
          views = [...lastView.values()];
          return reconcile().unseen === 0;
        },
        120_000,
        1000,
      ).catch(() => undefined);
      sampling = false;
      await sampler;
      meter.close(faultsEnd);
      const { unseen, processedByVictims } = reconcile();
      const reRead = [...mergeStreams(views)].reduce((n, [, m]) => n + m.overlap, 0);
      const survivors = live.filter((p) => !onPurpose.has(p));
      const finals = await Promise.all(survivors.map((p) => p.stats(false)));
      const appGaps = finals.reduce((n, s) => n + s.consumer!.gaps, 0);
      const redelivered = finals.reduce((n, s) => n + s.consumer!.duplicates, 0);
      const stalls = faultsAt.map(({ label, t }, i) => ({ label, ms: meter.longest(t, faultsAt[i + 1]?.t ?? faultsEnd) }));

      console.log(
        `    acknowledged ${acknowledged}, in topic ${inTopic} (${stored.records} records), lost ${lostInTopic}; ` +
          `resent: ${sending.unconfirmed} unacknowledged in resolved sends, ${sending.sendFailures} rejected sends; ` +
          `consumers: unseen ${unseen}, committed by a killed consumer after its last sample ${processedByVictims}, ` +
          `gap counter ${appGaps}; stored out of order: ${stored.storedOutOfOrder}; duplicates: ${stored.records - inTopic} stored twice (resent), ${reRead} read by two consumers, ${redelivered} read twice by one`,
      );
      for (const s of stalls) console.log(`    longest partition stall after "${s.label}": ${(s.ms / 1000).toFixed(1)} s`);

      assert.deepEqual(unexpectedExits, [], "no app process may exit on its own");
      assert.equal(
        lostInTopic,
        0,
        `acknowledged messages absent from the topic; ${holes.length} streams with holes, e.g. ${holes.slice(0, 4).join("; ")}`,
      );
      assert.deepEqual(holes, [], "every stream in the topic is one range from 0");
      assert.equal(unseen, 0, "messages in the topic that no consumer saw");
      // With one send in flight a stream can only be stored out of order by a resend; out-of-order
      // storage is what made hand-overs count false gaps.
      if (sending.unconfirmed === 0 && sending.sendFailures === 0) {
        assert.equal(stored.storedOutOfOrder, 0, "with nothing resent, every stream is stored in sequence order");
      }
      assert.equal(appGaps, lostInTopic, "the app's gap counter agrees with the topic");
      for (const s of stalls) assert.ok(s.ms < maxStallMs, `a partition stood still ${s.ms} ms after "${s.label}"`);
    } finally {
      sampling = false;
      await sampler;
      const dir = path.join(ARTIFACTS, name);
      mkdirSync(dir, { recursive: true });
      for (const [p, label] of labels) {
        writeFileSync(path.join(dir, `${label}.log`), [...p.lines.map((l) => JSON.stringify(l)), ...p.stderr].join("\n") + "\n");
      }
    }
  }

  it("kill -9 of the leader of most partitions, then its restart (twice): nothing acknowledged is lost", async () => {
    await scenario("kill-leader", async ({ topic, fault, recovered }) => {
      for (let round = 1; round <= 2; round++) {
        const { node, leads } = await busiestLeader(topic);
        fault(`kill -9 node ${node.nodeId} (leads ${leads}/${PARTITIONS}), round ${round}`);
        await node.kill();
        await sleep(8000);
        await node.start();
        await fullIsr(topic);
        await sleep(3000);
        await recovered();
      }
    });
  });

  it(`SIGSTOP of the leader of most partitions for ${PAUSE_MS / 1000} s, then SIGCONT (twice): nothing acknowledged is lost`, async () => {
    await scenario("pause-leader", async ({ topic, fault, recovered }) => {
      for (let round = 1; round <= 2; round++) {
        await pauseBusiestLeader(topic, fault, `, round ${round}`);
        await fullIsr(topic);
        await sleep(3000);
        await recovered();
      }
    });
  });

  it(`SIGSTOP of the leader for ${PAUSE_MS / 1000} s, and of the next leader while the group recovers: nothing acknowledged is lost`, async () => {
    await scenario(
      "pause-during-recovery",
      async ({ topic, fault }) => {
        await pauseBusiestLeader(topic, fault);
        // No wait for recovery: the consumers are re-joining and the resumed node is still out of the
        // ISR (min ISR 2 leaves a single in-sync replica short of a write) when the next leader stops.
        await pauseBusiestLeader(topic, fault, " while the group recovers");
        await fullIsr(topic);
      },
      MAX_STALL_TWO_FAULTS_MS,
    );
  });

  it("kill -9 of a consumer and a replacement started (twice): nothing acknowledged is lost", async () => {
    await scenario("kill-consumer", async ({ topic, fault, consumer, consumers, killed }) => {
      for (let round = 1; round <= 2; round++) {
        const candidates = await Promise.all(consumers().map(async (p) => ({ p, owned: (await p.stats(false)).consumer!.partitions })));
        const victim = candidates.sort((a, b) => b.owned.length - a.owned.length)[0];
        fault(`kill -9 the consumer owning ${victim.owned.join(",")}, round ${round}`);
        const committedAtKill = killed(victim.p, victim.owned);
        victim.p.kill();
        await victim.p.exited;
        // What the dead member last committed; nobody else commits these partitions until its
        // session times out (10 s), and the group resumes them from here. A commit it wrote just
        // before dying still reaches the broker: wait for it.
        await sleep(2000);
        const committed = (await admin.fetchOffsets({ groupId: topic, topics: [topic] }))[0].partitions;
        for (const c of committed) if (victim.owned.includes(c.partition)) committedAtKill.set(c.partition, Number(c.offset));
        const replacement = consumer(`replacement-${round}`);
        await waitFor(
          "the replacement owns partitions",
          async () => (await replacement.stats(false)).consumer!.partitions.length > 0,
          90_000,
        );
        await sleep(5000);
      }
    });
  });

  it("rolling restart of all three brokers: nothing acknowledged is lost", async () => {
    await scenario("rolling", async ({ topic, fault }) => {
      for (const node of cluster.nodes) {
        fault(`restart node ${node.nodeId}`);
        await node.stop();
        await node.start();
        await fullIsr(topic);
      }
    });
  });
});
