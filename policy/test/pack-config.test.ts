import { deepStrictEqual, strictEqual } from "assert";
import { configRefusals, ownConfig, stackName } from "../host/pack-config";
import { policies, replicaRules } from "../policies";
import { defaultConfig, devConfig, doConfig } from "./configs";
import { PackConfig, readConfigFile } from "./harness";

const replicaRuleNames = replicaRules.map((p) => p.name);
const refusals = (stack: string | undefined, config: PackConfig) => configRefusals(policies, replicaRuleNames, stack, config);
const withLevel = (config: PackConfig, policy: string, enforcementLevel: "advisory" | "disabled" | "remediate") =>
  new Map(config).set(policy, { ...config.get(policy)!, enforcementLevel });

describe("the pack config the pack accepts for a stack (host/pack-config.ts)", () => {
  it("accepts each stack's own config file, and the strict defaults for a stack without one", () => {
    deepStrictEqual(refusals("dev", devConfig), []);
    deepStrictEqual(refusals("do", doConfig), []);
    deepStrictEqual(refusals("prod", defaultConfig), []);
  });

  it("refuses every replica rule at any level but mandatory, on every stack", () => {
    for (const [stack, config] of [
      ["dev", devConfig],
      ["do", doConfig],
      ["prod", defaultConfig],
    ] as const) {
      for (const name of replicaRuleNames) {
        for (const level of ["advisory", "disabled", "remediate"] as const) {
          deepStrictEqual(refusals(stack, withLevel(config, name, level)), [
            `${name}: enforcementLevel "${level}", but the replica rules are mandatory on every stack`,
          ]);
        }
      }
    }
  });

  it("leaves the other policies' levels to the config", () => {
    const others = policies.filter((p) => !replicaRuleNames.includes(p.name));
    strictEqual(others.length > 0, true);
    for (const policy of others) {
      deepStrictEqual(refusals("do", withLevel(doConfig, policy.name, "disabled")), [], policy.name);
    }
  });

  it("refuses another stack's relaxed thresholds: dev's for do, for a stack without a file, or for an unnamed one", () => {
    const expect = (stack: string | undefined, line: string) => {
      const found = refusals(stack, devConfig);
      strictEqual(found.includes(line), true, found.join("\n"));
    };
    expect("prod", "kafka-broker-replicas: minBrokers 1, but the strict defaults (stack prod has no config file of its own) sets 3");
    expect("do", "kafka-broker-replicas: minBrokers 1, but policy/config/do.json sets 3");
    expect(
      undefined,
      "kafka-broker-replicas: minBrokers 1, but the strict defaults (stack (not named) has no config file of its own) sets 3",
    );
  });

  it("accepts the strict defaults on any stack: stricter than its own is never refused", () => {
    deepStrictEqual(refusals("dev", defaultConfig), []);
    // do's file is the strict defaults spelled out, so dev's shape may be previewed under it.
    deepStrictEqual(refusals("dev", doConfig), []);
  });

  it("refuses a property the policy does not have (a typo the CLI would ignore)", () => {
    const typo = new Map(devConfig).set("kafka-broker-replicas", {
      enforcementLevel: "mandatory",
      properties: { minBrokers: 1, minBroker: 3 },
    });
    deepStrictEqual(refusals("dev", typo), ["kafka-broker-replicas: minBroker 3, but policy/config/dev.json sets undefined"]);
  });

  it("finds a stack's own file by its name, from a plain or an org/project/stack name", () => {
    deepStrictEqual(ownConfig("dev"), readConfigFile("dev"));
    strictEqual(ownConfig("prod"), undefined);
    strictEqual(ownConfig("../config/dev"), undefined);
    strictEqual(ownConfig(undefined), undefined);
    strictEqual(stackName("acme/kafka-on-k8s/do"), "do");
    strictEqual(stackName("dev"), "dev");
    strictEqual(stackName(""), undefined);
  });

  it("ships configs that keep the replica rules mandatory", () => {
    for (const config of [devConfig, doConfig, defaultConfig]) {
      deepStrictEqual(
        replicaRuleNames.map((name) => config.get(name)?.enforcementLevel),
        replicaRuleNames.map(() => "mandatory"),
      );
    }
  });
});
