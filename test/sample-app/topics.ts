// Topic set-up for the sample-app tests, with the app's own KafkaJS copy (root has no kafkajs).
import { Kafka, logLevel } from "../../sample-app/node_modules/kafkajs";
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
    await admin.createTopics({ topics: names.map((topic) => ({ topic, numPartitions: partitions, replicationFactor, configEntries })), waitForLeaders: false });
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
