import { deepStrictEqual, strictEqual } from "assert";
import { controllerReplicas } from "../policies/kafka-controller-replicas";
import { devConfig, doConfig } from "./configs";
import { nodePool } from "./fixtures";
import { checkResource, messages } from "./harness";

describe("policy kafka-controller-replicas", () => {
  it("passes 3 controllers under do and a single dual-role node under dev", async () => {
    deepStrictEqual(messages(await checkResource(controllerReplicas, nodePool("controllers", ["controller"]), doConfig)), []);
    deepStrictEqual(
      messages(await checkResource(controllerReplicas, nodePool("controllers", ["controller"], { replicas: 5 }), doConfig)),
      [],
    );
    const dualRole = nodePool("dual-role", ["controller", "broker"], { replicas: 1 });
    deepStrictEqual(messages(await checkResource(controllerReplicas, dualRole, devConfig)), []);
  });

  it("reports a pool below minControllers", async () => {
    deepStrictEqual(messages(await checkResource(controllerReplicas, nodePool("controllers", ["controller"], { replicas: 1 }), doConfig)), [
      "KafkaNodePool kafka/controllers: controller replicas 1, below minControllers 3",
    ]);
  });

  it("reports an even controller count, also where it reaches the minimum", async () => {
    deepStrictEqual(messages(await checkResource(controllerReplicas, nodePool("controllers", ["controller"], { replicas: 4 }), doConfig)), [
      "KafkaNodePool kafka/controllers: controller replicas 4 is even; a KRaft quorum needs an odd count",
    ]);
    deepStrictEqual(
      messages(await checkResource(controllerReplicas, nodePool("dual-role", ["controller", "broker"], { replicas: "2" }), doConfig)),
      [
        "KafkaNodePool kafka/dual-role: controller replicas 2, below minControllers 3",
        "KafkaNodePool kafka/dual-role: controller replicas 2 is even; a KRaft quorum needs an odd count",
      ],
    );
    deepStrictEqual(
      messages(await checkResource(controllerReplicas, nodePool("dual-role", ["controller", "broker"], { replicas: 2 }), devConfig)),
      ["KafkaNodePool kafka/dual-role: controller replicas 2 is even; a KRaft quorum needs an odd count"],
    );
  });

  it("does not apply to broker-only pools", async () => {
    strictEqual(
      (await checkResource(controllerReplicas, nodePool("brokers", ["broker"], { replicas: 2 }), doConfig)).notApplicable,
      "only applies to KafkaNodePools with the controller role",
    );
  });
});
