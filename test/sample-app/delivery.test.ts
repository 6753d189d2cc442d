// The app's delivery bookkeeping against stand-in KafkaJS clients that misbehave the way the real one
// was seen to on a 3-broker cluster (faults.test.ts shows it for real; these pin the logic, fast).
import { strict as assert } from "node:assert";
import { EventEmitter } from "node:events";
import type { Kafka, Message, PartitionerArgs, ProducerConfig, RecordMetadata } from "../../sample-app/node_modules/kafkajs";
import { loadConfig } from "../../sample-app/src/config";
import { SampleConsumer } from "../../sample-app/src/consumer";
import { setLogLevel } from "../../sample-app/src/log";
import { Metrics } from "../../sample-app/src/metrics";
import { SampleProducer } from "../../sample-app/src/producer";
import { readRecord } from "../../sample-app/src/record";
import { waitFor } from "./app-process";

const TOPIC = "t";
/** The stream and sequence number a stored message carries (fails the test when it carries none). */
function tracked(m: Message): { producer: string; seq: number } {
  const read = readRecord(m.value as Buffer);
  assert.equal(read.kind, "tracked", `no metadata line in ${String(m.value).slice(0, 80)}`);
  return read as { producer: string; seq: number };
}
const config = (env: Record<string, string> = {}) => loadConfig({ KAFKA_BROKERS: "127.0.0.1:1", KAFKA_TOPIC: TOPIC, ...env });
const partitionMetadata = Array.from({ length: 6 }, (_, i) => ({
  partitionErrorCode: 0,
  partitionId: i,
  leader: 1,
  replicas: [1],
  isr: [1],
}));

describe("sample app delivery bookkeeping", () => {
  before(() => setLogLevel("error"));
  after(() => setLogLevel("info"));

  it("counts a message as produced only when its partition was acknowledged, and resends the rest (kafkajs#1303)", async () => {
    const stored: Message[] = [];
    let sends = 0;
    // Like KafkaJS 2.2.4 when a partition's leader moved to a broker that had already answered in
    // the same send: the send resolves, the partition's messages are not stored, and the returned
    // metadata has no record for it.
    const missingOnFirstSend = 3;
    const fake = {
      producer: (cfg: ProducerConfig) => {
        const partition = cfg.createPartitioner!();
        return {
          connect: async () => undefined,
          disconnect: async () => undefined,
          send: async ({ topic, messages }: { topic: string; messages: Message[] }): Promise<RecordMetadata[]> => {
            sends++;
            const byPartition = new Map<number, Message[]>();
            // KafkaJS partitions every message again on each retry of a send.
            for (let attempt = 0; attempt < 2; attempt++) {
              byPartition.clear();
              for (const message of messages) {
                const p = partition({ topic, partitionMetadata, message } as PartitionerArgs);
                byPartition.set(p, [...(byPartition.get(p) ?? []), message]);
              }
            }
            const acknowledged = [...byPartition.keys()].filter((p) => !(sends === 1 && p === missingOnFirstSend));
            for (const p of acknowledged) stored.push(...byPartition.get(p)!);
            return acknowledged.map((p) => ({ topicName: topic, partition: p, errorCode: 0, baseOffset: "0" }) as RecordMetadata);
          },
        };
      },
    } as unknown as Kafka;
    const producer = new SampleProducer(fake, config({ PRODUCE_RATE: "0" }), new Metrics());
    await producer.start();
    try {
      const items = Array.from({ length: 60 }, (_, i) => ({ key: `k${i}`, value: `v${i}` }));
      const result = await producer.sendOwn(items);
      const onMissing = producer.status().unconfirmed;
      assert.ok(onMissing > 0, "some keys hash to the partition left out");
      // The request is answered only once every message is acknowledged: the left-out partition's
      // messages are sent again within it, not queued behind the answer.
      assert.equal(result.status, "sent", JSON.stringify(result));
      assert.equal(sends, 2);
      assert.deepEqual(
        stored.map((m) => (m.value as Buffer).subarray(readRecord(m.value as Buffer).bodyStart).toString()).sort(),
        items.map((i) => i.value).sort(),
        "every message stored exactly once",
      );
      assert.equal(producer.status().produced, 60);
      assert.equal(producer.status().awaitingResend, 0, "HTTP messages are never queued");
      assert.equal(producer.status().pendingBytes, 0);
    } finally {
      await producer.stop();
    }
  });

  /** A stand-in KafkaJS client whose sends `broker` answers; acknowledges every partition it was given. */
  function fakeKafka(broker: { down: boolean; stored: Message[] }): Kafka {
    return {
      producer: (cfg: ProducerConfig) => {
        const partition = cfg.createPartitioner!();
        return {
          connect: async () => undefined,
          disconnect: async () => undefined,
          send: async ({ topic, messages }: { topic: string; messages: Message[] }): Promise<RecordMetadata[]> => {
            await new Promise((r) => setTimeout(r, 1));
            if (broker.down) throw new Error("Connection error: connect ECONNREFUSED");
            const partitions = new Set(messages.map((message) => partition({ topic, partitionMetadata, message } as PartitionerArgs)));
            broker.stored.push(...messages);
            return [...partitions].map((p) => ({ topicName: topic, partition: p, errorCode: 0, baseOffset: "0" }) as RecordMetadata);
          },
        };
      },
    } as unknown as Kafka;
  }

  const metricValue = async (metrics: Metrics, name: string, labels: Record<string, string> = {}): Promise<number> => {
    const m = await metrics.registry.getSingleMetric(name)!.get();
    return m.values.filter((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l)).reduce((n, v) => n + v.value, 0);
  };

  it("holds at most PRODUCE_RESEND_MAX_BYTES while Kafka rejects every send, then delivers all it generated", async function () {
    this.timeout(120_000);
    const CAP = 1 << 20;
    const broker = { down: true, stored: [] as Message[] };
    const metrics = new Metrics();
    // 4 sends in flight x 1000 messages x 4 KiB: before the cap, 16 MiB could wait for Kafka.
    const SIZE = 4096;
    const producer = new SampleProducer(
      fakeKafka(broker),
      config({ PRODUCE_RATE: "max", MESSAGE_BYTES: String(SIZE), PRODUCE_RESEND_MAX_BYTES: String(CAP) }),
      metrics,
    );
    await producer.start();
    try {
      let maxPending = 0;
      let maxQueued = 0;
      const answers: string[] = [];
      const until = Date.now() + 3000;
      while (Date.now() < until) {
        // POST /messages of 100 kB each while Kafka is away: before the cap each one was queued (202).
        if (answers.length < 40)
          void producer.sendOwn([{ key: "order-1", value: "x".repeat(100_000) }]).then((r) => answers.push(r.status));
        const s = producer.status();
        maxPending = Math.max(maxPending, s.pendingBytes);
        maxQueued = Math.max(maxQueued, s.awaitingResend);
        await new Promise((r) => setTimeout(r, 5));
      }
      // Every message is at least MESSAGE_BYTES: this bound holds whatever the byte accounting says.
      assert.ok(maxQueued * SIZE <= CAP, `${maxQueued} messages of >= ${SIZE} B queued for resend: more than ${CAP} bytes`);
      assert.ok(maxPending <= CAP, `pending ${maxPending} bytes > cap ${CAP}`);
      assert.ok(maxPending > CAP / 2, `the generator stopped long before the cap (${maxPending} bytes): the test did not drive the queue`);
      await waitFor("every POST answered", async () => answers.length === 40, 60_000, 20);
      assert.deepEqual([...new Set(answers)], ["refused"], "nothing Kafka did not acknowledge is accepted");
      assert.equal(await metricValue(metrics, "sample_app_produce_pending_bytes"), producer.status().pendingBytes);
      broker.down = false;
      await waitFor("the queue drained", async () => producer.status().awaitingResend === 0 && producer.status().produced > 0, 60_000, 20);
      await producer.stop();
      const s = producer.status();
      const distinct = new Set(broker.stored.map((m) => `${m.key}:${tracked(m).seq}`));
      assert.equal(distinct.size, s.produced, "every generated message stored once");
      assert.ok(!broker.stored.some((m) => m.key === "order-1"), "the refused HTTP message was not sent later behind the caller's back");
      console.log(
        `    cap ${CAP} B: at most ${maxPending} B / ${maxQueued} messages held while Kafka was away; 40 POSTs refused; ${s.produced} delivered after`,
      );
    } finally {
      broker.down = false;
      await producer.stop();
    }
  });

  it("keeps at most MAX_STREAMS per-key sequence counters and gives a key made again a new stream", async function () {
    this.timeout(30_000);
    const broker = { down: false, stored: [] as Message[] };
    const metrics = new Metrics();
    const producer = new SampleProducer(
      fakeKafka(broker),
      config({ PRODUCE_RATE: "0", PRODUCE_KEYS: "1", MAX_STREAMS: "100", STREAM_IDLE_MS: "1000" }),
      metrics,
    );
    await producer.start();
    try {
      const keys = Array.from({ length: 250 }, (_, i) => ({ key: `user-${i}`, value: "v" }));
      assert.equal((await producer.sendOwn(keys)).status, "sent");
      assert.equal(producer.status().keys, 100);
      assert.equal(await metricValue(metrics, "sample_app_streams_evicted_total", { map: "producer_keys", reason: "evict" }), 150);
      const first249 = broker.stored.find((m) => m.key === "user-249")!;
      broker.stored.length = 0;
      await producer.sendOwn([
        { key: "user-0", value: "again" },
        { key: "user-249", value: "again" },
      ]);
      const [again0, again249] = broker.stored;
      assert.equal(tracked(again249).producer, tracked(first249).producer, "a kept key stays in its stream");
      assert.equal(tracked(again249).seq, 1);
      assert.notEqual(tracked(again0).producer, producer.id, "a dropped key restarting at 0 in its old stream would read as duplicates");
      assert.match(tracked(again0).producer, new RegExp(`^${producer.id}~\\d+$`));
      assert.equal(tracked(again0).seq, 0);
      // Idle entries go after STREAM_IDLE_MS (1 s, the least allowed).
      await new Promise((r) => setTimeout(r, 1200));
      producer.prune();
      assert.equal(producer.status().keys, 0);
      assert.equal(await metricValue(metrics, "sample_app_streams_evicted_total", { map: "producer_keys", reason: "expire" }), 100);
    } finally {
      await producer.stop();
    }
  });

  describe("gap counting across hand-overs", () => {
    /** A stand-in KafkaJS consumer: the test emits its events and calls its eachBatch. */
    function fakeConsumer() {
      const events = new EventEmitter();
      let eachBatch: ((payload: unknown) => Promise<void>) | undefined;
      const kafka = {
        consumer: () => ({
          events: { GROUP_JOIN: "join", CRASH: "crash", STOP: "stop" },
          on: (e: string, f: (ev: unknown) => void) => events.on(e, f),
          connect: async () => undefined,
          subscribe: async () => undefined,
          run: async (opts: { eachBatch: (payload: unknown) => Promise<void> }) => {
            eachBatch = opts.eachBatch;
          },
          disconnect: async () => undefined,
        }),
      } as unknown as Kafka;
      const metrics = new Metrics();
      const consumer = new SampleConsumer(kafka, config(), metrics);
      const resolved: string[] = [];
      const committed: string[] = [];
      return {
        consumer,
        metrics,
        join: (memberId: string, partitions: number[]) =>
          events.emit("join", { payload: { memberId, memberAssignment: { [TOPIC]: partitions } } }),
        crash: () => events.emit("crash", { payload: { error: new Error("broker not found in the cached metadata"), restart: true } }),
        /** Offsets resolved and committed through the payloads, in order. */
        resolved,
        committed,
        /**
         * Delivers `seqs` (JSON text in the metadata line) of one stream as the messages at offsets
         * `from`, `from + 1`, ...; `stale`: the batch KafkaJS hands over after a seek() on its partition.
         */
        read: (partition: number, from: number, seqs: Array<number | string>, stale = false) =>
          eachBatch!({
            batch: {
              topic: TOPIC,
              partition,
              messages: seqs.map((seq, i) => ({
                offset: String(from + i),
                key: Buffer.from("k"),
                value: Buffer.from(`{"producer":"p","seq":${seq}}\nv`),
              })),
            },
            resolveOffset: (offset: string) => resolved.push(offset),
            heartbeat: async () => undefined,
            commitOffsetsIfNecessary: async (offsets: { topics: Array<{ partitions: Array<{ offset: string }> }> }) => {
              committed.push(...offsets.topics.flatMap((t) => t.partitions.map((p) => p.offset)));
            },
            isRunning: () => true,
            isStale: () => stale,
          }),
      };
    }

    it("does not count as lost what another replica read while this one was away", async () => {
      const f = fakeConsumer();
      await f.consumer.start();
      f.join("m1", [0, 1]);
      await f.read(0, 0, [0, 1, 2, 3, 4]);
      // Crashed; meanwhile another replica owned partition 0 and read offsets 5..9. Back with the
      // same member id and the same partitions as before the crash.
      f.crash();
      f.join("m1", [0, 1]);
      await f.read(0, 10, [10, 11, 12]);
      assert.equal(f.consumer.tracker.gaps(), 0);
      // No crash and the same assignment in both joins this member saw, but it missed a generation
      // (its sync failed) in which another replica read offsets 13..19.
      f.join("m1", [0, 1]);
      await f.read(0, 20, [20, 21]);
      assert.equal(f.consumer.tracker.gaps(), 0);
    });

    it("tracks no stream for sequence numbers that are not non-negative safe integers, and counts them", async () => {
      const f = fakeConsumer();
      await f.consumer.start();
      f.join("m1", [0]);
      const bad = Array.from(
        { length: 500 },
        (_, i) => ['"abc"', "1.5", "-3", '""', "null", '"7"', "true", "[1]", "99999999999999999999", `-${i}`][i % 10],
      );
      await f.read(0, 0, bad);
      // Each such value opened a range of its own when sequence numbers were read with Number(): 500 messages, 340 ranges.
      const ranges = f.consumer.tracker.summaries().reduce((n, s) => n + s.ranges.length, 0);
      assert.equal(ranges, 0, `${ranges} ranges from invalid sequence numbers`);
      assert.equal(await metricValue(f.metrics, "sample_app_invalid_sequence_total"), 500);
      await f.read(0, 500, [0, 1, 2]);
      assert.deepEqual(
        f.consumer.tracker.summaries().map((s) => s.ranges),
        [[[0, 2]]],
        "valid sequence numbers still tracked",
      );
    });

    it("still counts a hole in offsets this replica read one after another", async () => {
      const f = fakeConsumer();
      await f.consumer.start();
      f.join("m1", [0, 1]);
      await f.read(0, 0, [0, 1, 2]);
      f.crash();
      f.join("m1", [0]);
      // Offsets 3, 4 follow 2 directly: sequence numbers 3 and 4 never reached the partition.
      await f.read(0, 3, [5, 6]);
      assert.equal(f.consumer.tracker.gaps(), 2);
      // A re-read from an older committed offset is duplicates, not a new start.
      await f.read(0, 1, [1, 2]);
      assert.equal(f.consumer.tracker.gaps(), 2);
      assert.equal(f.consumer.tracker.duplicates(), 2);
    });

    it("leaves a stale batch (its partition was seeked) unprocessed, unresolved and uncommitted", async () => {
      const f = fakeConsumer();
      await f.consumer.start();
      f.join("m1", [0]);
      await f.read(0, 0, [0, 1, 2]);
      await f.read(0, 3, [3, 4], true);
      assert.equal(f.consumer.status().consumed, 3);
      assert.deepEqual(f.resolved, ["2"]);
      assert.deepEqual(f.committed, ["3"]);
      await f.read(0, 3, [3, 4]);
      assert.equal(f.consumer.status().consumed, 5);
      assert.deepEqual(f.committed, ["3", "5"]);
      assert.equal(f.consumer.tracker.gaps(), 0);
    });

    it("logs where a counted gap appeared, and nothing for a hand-over", async () => {
      const f = fakeConsumer();
      await f.consumer.start();
      f.join("m1", [0]);
      const lines: Array<Record<string, unknown>> = [];
      const write = process.stdout.write;
      setLogLevel("warn");
      process.stdout.write = ((chunk: string) => {
        lines.push(JSON.parse(chunk));
        return true;
      }) as typeof process.stdout.write;
      try {
        await f.read(0, 0, [0, 1, 2]);
        // Forward jump in offsets: another replica read 3..9, not a gap.
        await f.read(0, 10, [10, 11]);
        // Offset 12 follows 11 directly: 12..13 never reached the partition.
        await f.read(0, 12, [14]);
      } finally {
        process.stdout.write = write;
        setLogLevel("error");
      }
      const gapLines = lines.filter((l) => l.msg === "sequence gap counted");
      assert.equal(gapLines.length, 1, JSON.stringify(lines));
      const { time: _, ...line } = gapLines[0];
      assert.deepEqual(line, {
        level: "warn",
        msg: "sequence gap counted",
        partition: 0,
        gaps: 2,
        before: 0,
        firstOffset: "12",
        lastOffset: "12",
        readUpTo: "12",
        restarted: false,
        streams: [
          {
            stream: "p|k",
            gaps: 2,
            lastRanges: [
              [0, 2],
              [10, 11],
              [14, 14],
            ],
          },
        ],
      });
    });
  });
});
