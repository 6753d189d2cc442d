import * as assert from "assert";
import { kafkaTopicName, resolveTopics } from "../../../components/config/topics";
import { parsedSettings, problemLines } from "./parsed";

const threeBrokers = { brokerReplicas: 3, replicationFactor: 3, minInsyncReplicas: 2 };
const topics = (list: unknown) => resolveTopics(parsedSettings("dev", { topics: list }), threeBrokers);

describe("config topics resolver", () => {
  it("declares demo-events when no topic is set, with the cluster's replicas and min.insync.replicas", () => {
    const { settings, problems } = resolveTopics(parsedSettings("dev", { topics: undefined }), threeBrokers);
    assert.deepStrictEqual(problems, []);
    assert.deepStrictEqual(settings, [{ name: "demo-events", partitions: 6, replicas: 3, config: { "min.insync.replicas": 2 } }]);
  });

  it("keeps a topic's own replicas and config, lowering the default min.insync.replicas to its replicas", () => {
    const { settings, problems } = topics([
      { name: "orders_v1", partitions: 12, replicas: 1 },
      { name: "payments.eu", partitions: 3, config: { "retention.ms": 86400000, "min.insync.replicas": 1 } },
    ]);
    assert.deepStrictEqual(problems, []);
    assert.deepStrictEqual(settings[0].config, { "min.insync.replicas": 1 });
    assert.deepStrictEqual(settings[1], {
      name: "payments.eu",
      partitions: 3,
      replicas: 3,
      config: { "retention.ms": 86400000, "min.insync.replicas": 1 },
    });
  });

  it("refuses more replicas than brokers and a min.insync.replicas that stops writes when one is down", () => {
    const lines = problemLines(topics([{ name: "t", partitions: 1, replicas: 4, config: { "min.insync.replicas": 4 } }]));
    assert.strictEqual(lines.length, 2, lines.join("\n"));
    assert.match(lines[0], /^kafka-on-k8s:topics = .*: topic t \(#1\): replicas 4 must be ≤ brokerReplicas \(3\)$/);
    assert.match(lines[1], /: min\.insync\.replicas \(4\) must be below the replicas of topic t \(4\) so that one broker may fail/);
  });

  it("refuses duplicate names and names whose KafkaTopic objects Kubernetes refuses or that collide", () => {
    const { problems } = topics([
      { name: "a", partitions: 1 },
      { name: "a", partitions: 1 },
      { name: "_x", partitions: 1 },
      { name: "Order_Events", partitions: 1 },
      { name: "order-events", partitions: 1 },
    ]);
    assert.deepStrictEqual(
      problems.map((p) => p.allowed),
      [
        "topic a is declared more than once",
        "topic _x becomes the KafkaTopic name -x, which Kubernetes refuses; start and end it with a letter or digit",
        "topics Order_Events and order-events both become the KafkaTopic name order-events; rename one",
      ],
    );
  });

  it("refuses config values of the wrong type and lets Kafka judge settings it does not know", () => {
    const { problems } = topics([
      { name: "t", partitions: 1, config: { "segment.ms": "-2", preallocate: "yes", "cleanup.policy": "compact" } },
    ]);
    assert.deepStrictEqual(
      problems.map((p) => p.allowed),
      ['topic t (#1): config segment.ms = "-2" must be a whole number', 'topic t (#1): config preallocate = "yes" must be true or false'],
    );
  });

  it("names KafkaTopic objects as Kubernetes allows", () => {
    assert.strictEqual(kafkaTopicName("Orders_V1.eu"), "orders-v1.eu");
  });
});
