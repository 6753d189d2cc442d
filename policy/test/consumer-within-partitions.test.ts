import { deepStrictEqual, strictEqual } from "assert";
import { consumerWithinPartitions } from "../policies/consumer-within-partitions";
import { doConfig } from "./configs";
import { container, deployment, kafka, nodePool, topic } from "./fixtures";
import { checkStack, TestResource } from "./harness";

const urn = (r: TestResource) => `urn:pulumi:test::kafka-on-k8s::${r.type}::${r.name}`;

/** A consumer Deployment reading `topicName` from the cluster behind `bootstrap`. */
const consumer = (replicas: number, topicName = "demo-events", bootstrap = "kafka-kafka-bootstrap.kafka.svc:9092") =>
  deployment(
    "consumer",
    { replicas },
    {
      containers: [
        container({
          env: [
            { name: "KAFKA_BROKERS", value: bootstrap },
            { name: "KAFKA_TOPIC", value: topicName },
          ],
        }),
      ],
    },
  );

describe("policy consumer-within-partitions (advisory)", () => {
  it("is advisory in the pack and in both stack configs", () => {
    strictEqual(consumerWithinPartitions.enforcementLevel, "advisory");
    strictEqual(doConfig.get("consumer-within-partitions")?.enforcementLevel, "advisory");
  });

  it("passes consumers up to the partition count", async () => {
    const resources = [kafka(), nodePool("brokers", ["broker"]), topic("demo-events", { partitions: 3 }), consumer(3)];
    deepStrictEqual(await checkStack(consumerWithinPartitions, resources, doConfig), { violations: [] });
  });

  it("reports consumers beyond the partitions of their topic", async () => {
    const resources = [kafka(), topic("demo-events", { partitions: 2 }), consumer(3)];
    deepStrictEqual(await checkStack(consumerWithinPartitions, resources, doConfig), {
      violations: [
        {
          message:
            "Deployment kafka/sample-app-consumer: 3 consumer replicas, above the 2 partitions of topic demo-events; 1 would sit idle",
          urn: urn(resources[2]),
        },
      ],
    });
  });

  it("uses the cluster's num.partitions for a topic without partitions, and the default topic without KAFKA_TOPIC", async () => {
    const unset = topic("demo-events");
    delete unset.props.spec.partitions;
    const noTopicEnv = deployment(
      "consumer",
      { replicas: 3 },
      {
        containers: [container({ env: [{ name: "KAFKA_BROKERS", value: "kafka-kafka-bootstrap:9092" }] })],
      },
    );
    deepStrictEqual(
      (await checkStack(consumerWithinPartitions, [kafka({ "num.partitions": 2 }), unset, noTopicEnv], doConfig)).violations.map(
        (v) => v.message,
      ),
      ["Deployment kafka/sample-app-consumer: 3 consumer replicas, above the 2 partitions of topic demo-events; 1 would sit idle"],
    );
  });

  it("picks the topic of the cluster named by the bootstrap address when two clusters have it", async () => {
    const resources = [
      kafka(),
      topic("demo-events", { partitions: 12 }),
      kafka({}, { cluster: "small" }),
      topic("demo-events", { partitions: 2 }, { cluster: "small" }),
    ];
    deepStrictEqual(await checkStack(consumerWithinPartitions, [...resources, consumer(3)], doConfig), { violations: [] });
    deepStrictEqual(
      (
        await checkStack(
          consumerWithinPartitions,
          [...resources, consumer(3, "demo-events", "small-kafka-bootstrap.kafka.svc:9093")],
          doConfig,
        )
      ).violations.map((v) => v.message),
      ["Deployment kafka/sample-app-consumer: 3 consumer replicas, above the 2 partitions of topic demo-events; 1 would sit idle"],
    );
  });

  it("skips topics it cannot identify: undeclared, ambiguous without a Strimzi bootstrap host, or set from a ConfigMap", async () => {
    const twoClusters = [topic("demo-events", { partitions: 1 }), topic("demo-events", { partitions: 1 }, { cluster: "small" })];
    deepStrictEqual(
      await checkStack(consumerWithinPartitions, [...twoClusters, consumer(3, "demo-events", "broker-0.example:9092")], doConfig),
      { violations: [] },
    );
    deepStrictEqual(await checkStack(consumerWithinPartitions, [topic("other", { partitions: 1 }), consumer(3)], doConfig), {
      violations: [],
    });
    const fromConfigMap = deployment(
      "consumer",
      { replicas: 3 },
      {
        containers: [container({ env: [{ name: "KAFKA_TOPIC", valueFrom: { configMapKeyRef: { name: "app", key: "topic" } } }] })],
      },
    );
    deepStrictEqual(await checkStack(consumerWithinPartitions, [topic("demo-events", { partitions: 1 }), fromConfigMap], doConfig), {
      violations: [],
    });
  });

  it("ignores producers and does not apply without a consumer", async () => {
    const producer = deployment("producer", { replicas: 9 });
    strictEqual(
      (await checkStack(consumerWithinPartitions, [topic("demo-events", { partitions: 1 }), producer], doConfig)).notApplicable,
      "the stack declares no kafka-sample-app consumer Deployment",
    );
  });
});
