import { deepStrictEqual, strictEqual } from "assert";
import { nodeResources } from "../policies/kafka-node-resources";
import { devConfig, doConfig } from "./configs";
import { nodePool, topic } from "./fixtures";
import { checkResource, messages } from "./harness";

const sized = {
  resources: { requests: { cpu: "1", memory: "4Gi" }, limits: { memory: "4Gi" } },
  jvmOptions: { "-Xms": "2g", "-Xmx": "2g" },
};

describe("policy kafka-node-resources", () => {
  it("passes a pool with requests, a memory limit and a heap, under both configs", async () => {
    for (const config of [doConfig, devConfig]) {
      deepStrictEqual(messages(await checkResource(nodeResources, nodePool("brokers", ["broker"], sized), config)), []);
    }
  });

  it("reports a BestEffort pool, naming every missing field", async () => {
    deepStrictEqual(messages(await checkResource(nodeResources, nodePool("brokers", ["broker"]), devConfig)), [
      "KafkaNodePool kafka/brokers: spec.resources.requests.cpu, spec.resources.requests.memory, " +
        "spec.resources.limits.memory, spec.jvmOptions.-Xmx not set",
    ]);
  });

  it("reports a pool with requests but no heap", async () => {
    deepStrictEqual(
      messages(await checkResource(nodeResources, nodePool("controllers", ["controller"], { resources: sized.resources }), doConfig)),
      ["KafkaNodePool kafka/controllers: spec.jvmOptions.-Xmx not set"],
    );
  });

  it("does not apply to topics", async () => {
    strictEqual((await checkResource(nodeResources, topic("t"), doConfig)).notApplicable, "only applies to Strimzi KafkaNodePools");
  });
});
