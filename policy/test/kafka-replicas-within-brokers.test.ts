import { deepStrictEqual, strictEqual } from "assert";
import { replicasWithinBrokers } from "../policies/kafka-replicas-within-brokers";
import { devConfig, doConfig } from "./configs";
import { kafka, nodePool, topic } from "./fixtures";
import { checkStack, firstPreview, TestResource, unanalyzed } from "./harness";

const urn = (r: TestResource) => `urn:pulumi:test::kafka-on-k8s::${r.type}::${r.name}`;

/** A production cluster: 3 controllers, 3 brokers, one topic. */
const cluster = (cluster = "kafka", namespace = "kafka", brokers = 3): TestResource[] => [
  kafka({}, { cluster, namespace }),
  nodePool("controllers", ["controller"], {}, { cluster, namespace }),
  nodePool("brokers", ["broker"], { replicas: brokers }, { cluster, namespace }),
  topic("demo-events", {}, { cluster, namespace }),
];

describe("policy kafka-replicas-within-brokers", () => {
  it("passes a cluster whose replication factors fit its brokers", async () => {
    deepStrictEqual(await checkStack(replicasWithinBrokers, cluster(), doConfig), { violations: [] });
  });

  it("counts brokers over all broker and dual-role pools of the cluster", async () => {
    const resources = [
      kafka(),
      nodePool("controllers", ["controller"]),
      nodePool("brokers-a", ["broker"], { replicas: 2 }),
      nodePool("dual-role", ["controller", "broker"], { replicas: 1 }),
      topic("demo-events"),
    ];
    deepStrictEqual(await checkStack(replicasWithinBrokers, resources, doConfig), { violations: [] });
  });

  // The pull-request case: the stack's first preview, the cluster not created yet.
  it("decides on a first preview from the inputs the analyzer was shown: a topic above the brokers is reported", async () => {
    const resources = [...cluster(), topic("wide", { replicas: 4 })];
    deepStrictEqual(await checkStack(replicasWithinBrokers, firstPreview(resources), doConfig), {
      violations: [
        { message: "KafkaTopic kafka/wide: replicas 4, above the 3 broker replicas of cluster kafka/kafka", urn: urn(resources[4]) },
      ],
    });
  });

  it("says the Strimzi objects are not known yet when it has neither their outputs nor their inputs", async () => {
    const outcome = await checkStack(replicasWithinBrokers, unanalyzed(firstPreview(cluster())), doConfig);
    deepStrictEqual(outcome.violations, []);
    strictEqual(
      /^Kafka kafka-cluster, KafkaNodePool kafka-pool-controllers, KafkaNodePool kafka-pool-brokers, KafkaTopic kafka-topic-demo-events not known yet/.test(
        outcome.notKnownYet ?? "",
      ),
      true,
      outcome.notKnownYet,
    );
  });

  it("reports a topic with more replicas than brokers", async () => {
    const resources = [...cluster(), topic("wide", { replicas: 4 })];
    deepStrictEqual(await checkStack(replicasWithinBrokers, resources, doConfig), {
      violations: [
        { message: "KafkaTopic kafka/wide: replicas 4, above the 3 broker replicas of cluster kafka/kafka", urn: urn(resources[4]) },
      ],
    });
  });

  it("reports Kafka replication factors above the brokers, counting unset ones at Kafka's default", async () => {
    const single = kafka({ "default.replication.factor": 1, "transaction.state.log.replication.factor": "2", "min.insync.replicas": 1 });
    delete single.props.spec.kafka.config["offsets.topic.replication.factor"];
    const resources = [single, nodePool("dual-role", ["controller", "broker"], { replicas: 1 }), topic("demo-events", { replicas: 1 })];
    deepStrictEqual(await checkStack(replicasWithinBrokers, resources, devConfig), {
      violations: [
        {
          message:
            "Kafka kafka/kafka: spec.kafka.config offsets.topic.replication.factor is 3 (unset, Kafka default), above the cluster's 1 broker replicas",
          urn: urn(single),
        },
        {
          message:
            "Kafka kafka/kafka: spec.kafka.config transaction.state.log.replication.factor is 2, above the cluster's 1 broker replicas",
          urn: urn(single),
        },
      ],
    });
  });

  it("checks two Kafka clusters separately, by namespace and strimzi.io/cluster", async () => {
    // Same names in another namespace, and a second cluster in the same namespace with one broker.
    const resources = [...cluster(), ...cluster("kafka", "team-b"), ...cluster("small", "kafka", 1)];
    const smallKafka = resources[8];
    const smallTopic = resources[11];
    deepStrictEqual(await checkStack(replicasWithinBrokers, resources, doConfig), {
      violations: [
        {
          message: "Kafka kafka/small: spec.kafka.config default.replication.factor is 3, above the cluster's 1 broker replicas",
          urn: urn(smallKafka),
        },
        {
          message: "Kafka kafka/small: spec.kafka.config offsets.topic.replication.factor is 3, above the cluster's 1 broker replicas",
          urn: urn(smallKafka),
        },
        {
          message:
            "Kafka kafka/small: spec.kafka.config transaction.state.log.replication.factor is 3, above the cluster's 1 broker replicas",
          urn: urn(smallKafka),
        },
        { message: "KafkaTopic kafka/demo-events: replicas 3, above the 1 broker replicas of cluster kafka/small", urn: urn(smallTopic) },
      ],
    });
  });

  it("reports a cluster without broker pools, and ignores topics of clusters the stack does not declare", async () => {
    const resources = [kafka(), nodePool("controllers", ["controller"]), topic("elsewhere", { replicas: 9 }, { cluster: "external" })];
    const outcome = await checkStack(replicasWithinBrokers, resources, doConfig);
    deepStrictEqual(
      outcome.violations.map((v) => v.message),
      [
        "Kafka kafka/kafka: spec.kafka.config default.replication.factor is 3, above the cluster's 0 broker replicas",
        "Kafka kafka/kafka: spec.kafka.config offsets.topic.replication.factor is 3, above the cluster's 0 broker replicas",
        "Kafka kafka/kafka: spec.kafka.config transaction.state.log.replication.factor is 3, above the cluster's 0 broker replicas",
      ],
    );
  });

  it("does not apply to a stack without a Kafka cluster", async () => {
    strictEqual(
      (await checkStack(replicasWithinBrokers, [topic("orphan", { replicas: 9 })], doConfig)).notApplicable,
      "the stack declares no Strimzi Kafka cluster",
    );
  });
});
