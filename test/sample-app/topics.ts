// Topic set-up for the sample-app tests, with the app's own KafkaJS copy (root has no kafkajs).
import { Kafka, logLevel } from "../../sample-app/node_modules/kafkajs";

let counter = 0;

/** A topic name no earlier test used, so tests never see each other's messages. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter++}`;
}

/** Creates a topic (RF 1, for the single test broker) and waits until it has leaders. */
export async function createTopic(bootstrap: string, topic: string, partitions: number): Promise<void> {
  const admin = new Kafka({ brokers: bootstrap.split(","), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}
