import { deepStrictEqual, strictEqual } from "assert";
import { policies } from "../../policy/policies";
import { devConfig, doConfig } from "../../policy/test/configs";
import { PackViolation, runPack } from "../../policy/test/harness";
import { fromProgram } from "../support/policy-pack";
import { runProgram, StackName } from "../support/program";

const configs = { dev: devConfig, do: doConfig };

/** Violations that block a preview (advisory ones are only printed). */
const blocking = (violations: PackViolation[]) => violations.filter((v) => v.level === "mandatory");

describe("policy pack on the resources the real program declares", function () {
  this.timeout(180_000);

  for (const stack of ["dev", "do"] as StackName[]) {
    it(`passes the ${stack} stack under policy/config/${stack}.json`, async () => {
      const resources = fromProgram((await runProgram(stack)).resources);
      // Guard against a vacuous pass: the policies must have had something to look at.
      const types = new Set(resources.map((r) => r.type));
      for (const type of [
        "kubernetes:kafka.strimzi.io/v1:Kafka",
        "kubernetes:kafka.strimzi.io/v1:KafkaNodePool",
        "kubernetes:kafka.strimzi.io/v1:KafkaTopic",
        "kubernetes:helm.toolkit.fluxcd.io/v2:HelmRelease",
        "kubernetes:source.toolkit.fluxcd.io/v1:OCIRepository",
        "kubernetes:apps/v1:Deployment",
      ]) {
        strictEqual(types.has(type), true, `${stack} declares no ${type}`);
      }
      deepStrictEqual(await runPack(policies, resources, configs[stack]), []);
    });
  }

  // Stack policies see outputs, and a first preview has none for objects on a cluster that does not exist
  // yet: they decide from the inputs the analyzer was shown (the pull-request case), never count them as
  // unset, and find exactly what a later preview finds.
  for (const stack of ["dev", "do"] as StackName[]) {
    it(`passes the ${stack} stack's first preview, its stack policies deciding from the objects' inputs`, async () => {
      const found = await runPack(policies, fromProgram((await runProgram(stack)).resources, "firstPreview"), configs[stack]);
      deepStrictEqual(found, []);
    });
  }

  it("fails the do stack's first preview with brokerReplicas lowered to 1 as a later preview does", async () => {
    const run = await runProgram("do", { brokerReplicas: 1, replicationFactor: undefined, minInsyncReplicas: undefined });
    const later = await runPack(policies, fromProgram(run.resources), doConfig);
    strictEqual(blocking(later).length > 0, true);
    deepStrictEqual(await runPack(policies, fromProgram(run.resources, "firstPreview"), doConfig), later);
  });

  it("fails the do stack with brokerReplicas lowered to 1, on the broker count and what follows from it", async () => {
    // The program derives RF and min ISR from the brokers when they are unset; do sets them, so unset them.
    const run = await runProgram("do", { brokerReplicas: 1, replicationFactor: undefined, minInsyncReplicas: undefined });
    const violations = blocking(await runPack(policies, fromProgram(run.resources), doConfig));
    deepStrictEqual(
      violations.filter((v) => v.policy === "kafka-broker-replicas"),
      [
        {
          policy: "kafka-broker-replicas",
          level: "mandatory",
          message: "KafkaNodePool kafka/brokers: broker replicas 1, below minBrokers 3",
        },
      ],
    );
    deepStrictEqual([...new Set(violations.map((v) => v.policy))].sort(), [
      "kafka-broker-replicas",
      "kafka-replication-config",
      "kafka-topic-replicas",
    ]);
  });

  it("passes the same 1-broker do stack under the dev config, so the minimums come from the config", async () => {
    const run = await runProgram("do", { brokerReplicas: 1, replicationFactor: undefined, minInsyncReplicas: undefined });
    deepStrictEqual(blocking(await runPack(policies, fromProgram(run.resources), devConfig)), []);
  });
});
