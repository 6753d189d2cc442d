import { deepStrictEqual, strictEqual } from "assert";
import { controllersSpread } from "../policies/kafka-controllers-spread";
import { devConfig, doConfig } from "./configs";
import { nodePool, perNodeAntiAffinity } from "./fixtures";
import { checkResource, messages } from "./harness";

/** Required anti-affinity per node for the given Strimzi role label. */
const spreadBy = (role: string) => {
  const terms = perNodeAntiAffinity.pod.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution;
  return {
    template: {
      pod: {
        affinity: {
          podAntiAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: terms.map((term) => ({
              ...term,
              labelSelector: { matchLabels: { "strimzi.io/cluster": "kafka", [`strimzi.io/${role}-role`]: "true" } },
            })),
          },
        },
      },
    },
  };
};

describe("policy kafka-controllers-spread", () => {
  it("passes controllers spread per node, and a dual-role pool spread by its broker role", async () => {
    deepStrictEqual(
      messages(await checkResource(controllersSpread, nodePool("controllers", ["controller"], spreadBy("controller")), doConfig)),
      [],
    );
    deepStrictEqual(
      messages(await checkResource(controllersSpread, nodePool("dual-role", ["controller", "broker"], spreadBy("broker")), doConfig)),
      [],
    );
  });

  it("reports three controllers that may share a node", async () => {
    deepStrictEqual(messages(await checkResource(controllersSpread, nodePool("controllers", ["controller"]), doConfig)), [
      "KafkaNodePool kafka/controllers: 3 controllers without required pod anti-affinity on kubernetes.io/hostname for " +
        "strimzi.io/controller-role=true; two on one node lose the quorum with it (requireControllerSpread)",
    ]);
  });

  it("reports controllers spread only as brokers, when they are not brokers", async () => {
    strictEqual(
      messages(await checkResource(controllersSpread, nodePool("controllers", ["controller"], spreadBy("broker")), doConfig)).length,
      1,
    );
  });

  it("leaves single controllers, broker-only pools and the dev config alone", async () => {
    strictEqual(
      (await checkResource(controllersSpread, nodePool("controllers", ["controller"], { replicas: 1 }), doConfig)).notApplicable,
      "a single controller has nothing to spread",
    );
    strictEqual(
      (await checkResource(controllersSpread, nodePool("brokers", ["broker"]), doConfig)).notApplicable,
      "only applies to Strimzi KafkaNodePools with the controller role",
    );
    strictEqual(
      (await checkResource(controllersSpread, nodePool("controllers", ["controller"]), devConfig)).notApplicable,
      "requireControllerSpread is off",
    );
  });
});
