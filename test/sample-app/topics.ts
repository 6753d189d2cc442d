// Topic set-up for the sample-app tests, with the app's own KafkaJS copy (root has no kafkajs).
import { Kafka, logLevel, type Admin } from "../../sample-app/node_modules/kafkajs";
import { readRecord } from "../../sample-app/src/record";
import { SequenceTracker } from "../../sample-app/src/sequence";
import type { TopicReplication } from "../support/kafka";

let counter = 0;

/** A topic name no earlier test used, so tests never see each other's messages. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter++}`;
}

/**
 * Creates topics (RF 1, for the single test broker, unless `replication` says otherwise) and waits
 * until every partition has a leader.
 * Polls metadata itself: KafkaJS's `waitForLeaders` gives up on the UNKNOWN_TOPIC_OR_PARTITION a
 * just-created topic answers with for a moment.
 */
export async function createTopic(
  bootstrap: string,
  topics: string | readonly string[],
  partitions: number,
  replication: TopicReplication = {},
): Promise<void> {
  const { replicationFactor = 1, minInsyncReplicas } = replication;
  const configEntries = minInsyncReplicas === undefined ? [] : [{ name: "min.insync.replicas", value: String(minInsyncReplicas) }];
  const names = typeof topics === "string" ? [topics] : [...topics];
  const admin = new Kafka({ brokers: bootstrap.split(","), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: names.map((topic) => ({ topic, numPartitions: partitions, replicationFactor, configEntries })),
      waitForLeaders: false,
    });
    const deadline = Date.now() + 30_000;
    for (;;) {
      const ready = await admin
        .fetchTopicMetadata({ topics: names })
        .then((m) => m.topics.every((t) => t.partitions.length === partitions && t.partitions.every((p) => p.leader >= 0)))
        .catch(() => false);
      if (ready) return;
      if (Date.now() > deadline) throw new Error(`topics ${names.join(", ")} have no leaders after 30 s`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await admin.disconnect();
  }
}

/** Where one message of the topic is, as read back. */
export interface Stored {
  readonly partition: number;
  readonly offset: number;
}

/** The topic as it is: every producer message by stream and sequence number. */
export interface ReadBack {
  readonly tracker: SequenceTracker;
  /** `stream` -> seq -> where it is stored (first copy). */
  readonly where: Map<string, Map<number, Stored>>;
  readonly records: number;
  /**
   * Messages stored after a higher sequence number of their stream (same partition, offset order).
   * Around a hand-over such a message makes the replica before it, or the one after it, see a
   * hole that is no loss; counted to tell that apart from a consumer-side miscount.
   */
  readonly storedOutOfOrder: number;
}

/** Reads the whole topic with a plain KafkaJS consumer (a fresh group) up to the current end offsets. */
export async function readTopic(kafka: Kafka, admin: Admin, topic: string): Promise<ReadBack> {
  const ends = new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, Number(o.high)]));
  const tracker = new SequenceTracker();
  const where = new Map<string, Map<number, Stored>>();
  const next = new Map<number, number>([...ends.keys()].map((p) => [p, 0]));
  let records = 0;
  let storedOutOfOrder = 0;
  const highest = new Map<string, number>();
  const consumer = kafka.consumer({ groupId: uniqueName("read-back"), maxBytesPerPartition: 4 << 20 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    const done = new Promise<void>((resolve) => {
      const check = () => {
        if ([...ends].every(([p, end]) => next.get(p)! >= end)) resolve();
      };
      check();
      void consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          for (const m of batch.messages) {
            const read = readRecord(m.value);
            const producer = read.kind === "tracked" ? read.producer : undefined;
            const seq = read.kind === "tracked" ? read.seq : NaN;
            const stream = `${producer}|${m.key?.toString() ?? ""}`;
            records++;
            // One partition's batches arrive in offset order, one at a time, and a stream has one partition.
            if (seq < (highest.get(stream) ?? -1)) storedOutOfOrder++;
            else highest.set(stream, seq);
            tracker.record(stream, batch.partition, seq);
            let seqs = where.get(stream);
            if (!seqs) where.set(stream, (seqs = new Map()));
            if (!seqs.has(seq)) seqs.set(seq, { partition: batch.partition, offset: Number(m.offset) });
            next.set(batch.partition, Number(m.offset) + 1);
          }
          check();
        },
      });
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      done,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`read-back of ${topic} did not reach the end offsets in 120 s`)), 120_000);
      }),
    ]).finally(() => clearTimeout(timer));
  } finally {
    await consumer.disconnect();
  }
  return { tracker, where, records, storedOutOfOrder };
}
