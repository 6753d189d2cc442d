import { deepStrictEqual, strictEqual } from "assert";
import { kafkaReplicationConfig } from "../policies/kafka-replication-config";
import { devConfig, doConfig } from "./configs";
import { kafka, topic } from "./fixtures";
import { checkResource, messages } from "./harness";

const subject = "Kafka kafka/kafka: spec.kafka.config";
const devKafka = kafka({
  "default.replication.factor": 1,
  "offsets.topic.replication.factor": 1,
  "transaction.state.log.replication.factor": 1,
  "transaction.state.log.min.isr": 1,
  "min.insync.replicas": 1,
});

describe("policy kafka-replication-config", () => {
  it("passes RF 3 / min ISR 2 under do, also given as strings", async () => {
    deepStrictEqual(messages(await checkResource(kafkaReplicationConfig, kafka(), doConfig)), []);
    const strings = kafka({
      "default.replication.factor": "3",
      "offsets.topic.replication.factor": "3",
      "transaction.state.log.replication.factor": "3",
      "min.insync.replicas": "2",
    });
    deepStrictEqual(messages(await checkResource(kafkaReplicationConfig, strings, doConfig)), []);
  });

  it("passes RF 1 / min ISR 1 under dev, where min ISR may equal RF", async () => {
    deepStrictEqual(messages(await checkResource(kafkaReplicationConfig, devKafka, devConfig)), []);
  });

  it("reports each replication factor below minReplicationFactor", async () => {
    for (const key of ["offsets.topic.replication.factor", "transaction.state.log.replication.factor"]) {
      deepStrictEqual(messages(await checkResource(kafkaReplicationConfig, kafka({ [key]: 2 }), doConfig)), [
        `${subject} ${key} is 2, below minReplicationFactor 3`,
      ]);
    }
    // The default RF also bounds min ISR, so lowering it to 2 breaks both rules.
    deepStrictEqual(messages(await checkResource(kafkaReplicationConfig, kafka({ "default.replication.factor": 2 }), doConfig)), [
      `${subject} default.replication.factor is 2, below minReplicationFactor 3`,
      `${subject} min.insync.replicas is 2 with replication factor 2: it must be below the replication factor so a broker may fail without blocking acks=all producers`,
    ]);
  });

  it("counts an unset replication factor as Kafka's default", async () => {
    const unset = kafka();
    delete unset.props.spec.kafka.config["default.replication.factor"];
    delete unset.props.spec.kafka.config["offsets.topic.replication.factor"];
    deepStrictEqual(messages(await checkResource(kafkaReplicationConfig, unset, doConfig)), [
      `${subject} default.replication.factor is 1 (unset, Kafka default), below minReplicationFactor 3`,
      `${subject} min.insync.replicas is 2 with replication factor 1: it must be below the replication factor so a broker may fail without blocking acks=all producers`,
    ]);
  });

  it("reports min.insync.replicas below minInSyncReplicas", async () => {
    deepStrictEqual(messages(await checkResource(kafkaReplicationConfig, kafka({ "min.insync.replicas": 1 }), doConfig)), [
      `${subject} min.insync.replicas is 1, below minInSyncReplicas 2`,
    ]);
  });

  it("reports min.insync.replicas equal to the replication factor unless allowMinIsrEqualRf", async () => {
    deepStrictEqual(messages(await checkResource(kafkaReplicationConfig, kafka({ "min.insync.replicas": "3" }), doConfig)), [
      `${subject} min.insync.replicas is 3 with replication factor 3: it must be below the replication factor so a broker may fail without blocking acks=all producers`,
    ]);
    deepStrictEqual(messages(await checkResource(kafkaReplicationConfig, kafka({ "min.insync.replicas": 3 }), devConfig)), []);
    deepStrictEqual(messages(await checkResource(kafkaReplicationConfig, kafka({ "min.insync.replicas": 4 }), devConfig)), [
      `${subject} min.insync.replicas is 4 with replication factor 3: it must not exceed the replication factor, or every acks=all write fails`,
    ]);
  });

  it("reports values that are not integers", async () => {
    deepStrictEqual(messages(await checkResource(kafkaReplicationConfig, kafka({ "default.replication.factor": "three" }), doConfig)), [
      `${subject} default.replication.factor is not an integer ("three")`,
    ]);
    deepStrictEqual(messages(await checkResource(kafkaReplicationConfig, kafka({ "min.insync.replicas": 1.5 }), doConfig)), [
      `${subject} min.insync.replicas is not an integer`,
    ]);
  });

  it("does not apply to topics", async () => {
    strictEqual(
      (await checkResource(kafkaReplicationConfig, topic("t"), doConfig)).notApplicable,
      "only applies to Strimzi Kafka clusters",
    );
  });
});
