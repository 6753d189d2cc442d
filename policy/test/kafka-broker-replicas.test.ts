import { deepStrictEqual, strictEqual } from "assert";
import { brokerReplicas } from "../policies/kafka-broker-replicas";
import { defaultConfig, devConfig, doConfig } from "./configs";
import { kafka, nodePool } from "./fixtures";
import { checkResource, messages } from "./harness";

describe("policy kafka-broker-replicas", () => {
  it("passes broker and dual-role pools with 3 replicas under do", async () => {
    deepStrictEqual(messages(await checkResource(brokerReplicas, nodePool("brokers", ["broker"]), doConfig)), []);
    deepStrictEqual(messages(await checkResource(brokerReplicas, nodePool("dual-role", ["controller", "broker"]), doConfig)), []);
  });

  it("passes a single dual-role replica under dev", async () => {
    const pool = nodePool("dual-role", ["controller", "broker"], { replicas: 1, storage: { type: "ephemeral" } });
    deepStrictEqual(messages(await checkResource(brokerReplicas, pool, devConfig)), []);
  });

  it("reports a broker pool below minBrokers with the value and the minimum", async () => {
    deepStrictEqual(messages(await checkResource(brokerReplicas, nodePool("brokers", ["broker"], { replicas: 2 }), doConfig)), [
      "KafkaNodePool kafka/brokers: broker replicas 2, below minBrokers 3",
    ]);
    deepStrictEqual(
      messages(await checkResource(brokerReplicas, nodePool("dual-role", ["controller", "broker"], { replicas: 1 }), defaultConfig)),
      ["KafkaNodePool kafka/dual-role: broker replicas 1, below minBrokers 3"],
    );
  });

  it("reads replicas given as strings and rejects non-integers", async () => {
    deepStrictEqual(messages(await checkResource(brokerReplicas, nodePool("brokers", ["broker"], { replicas: "3" }), doConfig)), []);
    deepStrictEqual(messages(await checkResource(brokerReplicas, nodePool("brokers", ["broker"], { replicas: "2" }), doConfig)), [
      "KafkaNodePool kafka/brokers: broker replicas 2, below minBrokers 3",
    ]);
    deepStrictEqual(messages(await checkResource(brokerReplicas, nodePool("brokers", ["broker"], { replicas: "three" }), doConfig)), [
      'KafkaNodePool kafka/brokers: spec.replicas is not an integer ("three")',
    ]);
  });

  it("does not apply to controller-only pools or other resources", async () => {
    const controllers = await checkResource(brokerReplicas, nodePool("controllers", ["controller"], { replicas: 1 }), doConfig);
    strictEqual(controllers.notApplicable, "only applies to KafkaNodePools with the broker role");
    strictEqual(
      (await checkResource(brokerReplicas, kafka(), doConfig)).notApplicable,
      "only applies to KafkaNodePools with the broker role",
    );
  });
});
