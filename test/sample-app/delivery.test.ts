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
import { waitFor } from "./app-process";

const TOPIC = "t";
const config = (env: Record<string, string> = {}) => loadConfig({ KAFKA_BROKERS: "127.0.0.1:1", KAFKA_TOPIC: TOPIC, ...env });
const partitionMetadata = Array.from({ length: 6 }, (_, i) => ({ partitionErrorCode: 0, partitionId: i, leader: 1, replicas: [1], isr: [1] }));

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
      const onMissing = 60 - stored.length;
      assert.ok(onMissing > 0, "some keys hash to the partition left out");
      assert.equal(result.status, "queued", "a partly acknowledged request is not reported as sent");
      assert.equal(producer.status().produced, stored.length, "only acknowledged messages count as produced");
      assert.equal(producer.status().unconfirmed, onMissing);
      await waitFor("the unacknowledged messages resent", async () => producer.status().awaitingResend === 0 && sends >= 2, 10_000, 20);
      assert.deepEqual(stored.map((m) => m.value).sort(), items.map((i) => i.value).sort(), "every message stored exactly once");
      assert.equal(producer.status().produced, 60);
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
      const consumer = new SampleConsumer(kafka, config(), new Metrics());
      return {
        consumer,
        join: (memberId: string, partitions: number[]) => events.emit("join", { payload: { memberId, memberAssignment: { [TOPIC]: partitions } } }),
        crash: () => events.emit("crash", { payload: { error: new Error("broker not found in the cached metadata"), restart: true } }),
        /** Delivers `seqs` of one stream as the messages at offsets `from`, `from + 1`, ... */
        read: (partition: number, from: number, seqs: number[]) =>
          eachBatch!({
            batch: {
              topic: TOPIC,
              partition,
              messages: seqs.map((seq, i) => ({ offset: String(from + i), key: Buffer.from("k"), value: Buffer.from("v"), headers: { "x-producer": "p", "x-seq": String(seq) } })),
            },
            resolveOffset: () => undefined,
            heartbeat: async () => undefined,
            commitOffsetsIfNecessary: async () => undefined,
            isRunning: () => true,
            isStale: () => false,
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
        streams: [{ stream: "p|k", gaps: 2, lastRanges: [[0, 2], [10, 11], [14, 14]] }],
      });
    });
  });
});
