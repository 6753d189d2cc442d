import { deepStrictEqual, strictEqual } from "assert";
import { topicReplicas } from "../policies/kafka-topic-replicas";
import { devConfig, doConfig } from "./configs";
import { kafka, topic } from "./fixtures";
import { checkResource, messages } from "./harness";

describe("policy kafka-topic-replicas", () => {
  it("passes a 3-replica topic under do and a 1-replica topic under dev", async () => {
    deepStrictEqual(
      messages(await checkResource(topicReplicas, topic("demo-events", { config: { "min.insync.replicas": 2 } }), doConfig)),
      [],
    );
    deepStrictEqual(
      messages(
        await checkResource(
          topicReplicas,
          topic("demo-events", { replicas: 1, partitions: 6, config: { "min.insync.replicas": 1 } }),
          devConfig,
        ),
      ),
      [],
    );
  });

  it("leaves unset replicas and partitions to the cluster defaults", async () => {
    const defaults = topic("demo-events");
    delete defaults.props.spec.replicas;
    delete defaults.props.spec.partitions;
    deepStrictEqual(messages(await checkResource(topicReplicas, defaults, doConfig)), []);
  });

  it("reports replicas below minReplicationFactor", async () => {
    deepStrictEqual(messages(await checkResource(topicReplicas, topic("demo-events", { replicas: 1 }), doConfig)), [
      "KafkaTopic kafka/demo-events: replicas 1, below minReplicationFactor 3",
    ]);
    deepStrictEqual(messages(await checkResource(topicReplicas, topic("demo-events", { replicas: "2" }), doConfig)), [
      "KafkaTopic kafka/demo-events: replicas 2, below minReplicationFactor 3",
    ]);
  });

  it("reports fewer than one partition", async () => {
    deepStrictEqual(messages(await checkResource(topicReplicas, topic("demo-events", { partitions: 0 }), devConfig)), [
      "KafkaTopic kafka/demo-events: partitions 0, below the minimum 1",
    ]);
    deepStrictEqual(messages(await checkResource(topicReplicas, topic("demo-events", { partitions: "many" }), devConfig)), [
      'KafkaTopic kafka/demo-events: partitions "many", below the minimum 1',
    ]);
  });

  it("reports a topic min.insync.replicas that is too low or not below its replicas", async () => {
    deepStrictEqual(
      messages(await checkResource(topicReplicas, topic("demo-events", { config: { "min.insync.replicas": "1" } }), doConfig)),
      ["KafkaTopic kafka/demo-events: spec.config min.insync.replicas is 1, below minInSyncReplicas 2"],
    );
    deepStrictEqual(
      messages(await checkResource(topicReplicas, topic("demo-events", { config: { "min.insync.replicas": 3 } }), doConfig)),
      [
        "KafkaTopic kafka/demo-events: spec.config min.insync.replicas is 3 with replication factor 3: it must be below the replication factor so a broker may fail without blocking acks=all producers",
      ],
    );
  });

  it("does not apply to Kafka clusters", async () => {
    strictEqual((await checkResource(topicReplicas, kafka(), doConfig)).notApplicable, "only applies to Strimzi KafkaTopics");
  });
});
