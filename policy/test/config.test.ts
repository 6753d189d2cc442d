import { deepStrictEqual, match, notStrictEqual, strictEqual, throws } from "assert";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { policies } from "../policies";
import { defaultConfig, devConfig, doConfig } from "./configs";
import { policyDir, readConfigFile, reconcileConfig } from "./harness";

const effective = (config: typeof doConfig) => Object.fromEntries([...config].map(([name, c]) => [name, c.properties]));

describe("policy pack config files (policy/config/<stack>.json)", () => {
  it("names every policy of the pack explicitly in both files", () => {
    for (const stack of ["dev", "do"]) {
      deepStrictEqual(Object.keys(readConfigFile(stack) as object).sort(), policies.map((p) => p.name).sort(), stack);
    }
  });

  it("validates dev and do against every policy's configSchema, and do equals the schema defaults", () => {
    // reconcileConfig threw at import time (./configs) if either file were invalid.
    deepStrictEqual(effective(doConfig), effective(defaultConfig));
    strictEqual(doConfig.get("kafka-broker-replicas")?.enforcementLevel, "mandatory");
  });

  it("relaxes dev to one kind node: 1 broker, 1 controller, RF 1, min ISR 1, ephemeral, 1 app replica", () => {
    deepStrictEqual(devConfig.get("kafka-broker-replicas")?.properties, { minBrokers: 1 });
    deepStrictEqual(devConfig.get("kafka-controller-replicas")?.properties, { minControllers: 1 });
    for (const name of ["kafka-replication-config", "kafka-topic-replicas"]) {
      deepStrictEqual(devConfig.get(name)?.properties, { minReplicationFactor: 1, minInSyncReplicas: 1, allowMinIsrEqualRf: true }, name);
    }
    deepStrictEqual(devConfig.get("kafka-persistent-storage")?.properties, { requirePersistentStorage: false });
    strictEqual(devConfig.get("sample-app-deployment")?.properties.minAppReplicas, 1);
    deepStrictEqual(doConfig.get("kafka-replication-config")?.properties, {
      minReplicationFactor: 3,
      minInSyncReplicas: 2,
      allowMinIsrEqualRf: false,
    });
  });

  it("rejects bad config files, naming the problem", () => {
    const cases: [unknown, RegExp][] = [
      [{ "kafka-broker-replica": { minBrokers: 3 } }, /must NOT have additional properties/],
      [{ "kafka-broker-replicas": { minBroker: 3 } }, /must NOT have additional properties/],
      [{ "kafka-broker-replicas": { minBrokers: "3" } }, /minBrokers must be integer/],
      [{ "kafka-broker-replicas": { minBrokers: 0 } }, /minBrokers must be >= 1/],
      [{ "kafka-replication-config": { allowMinIsrEqualRf: "yes" } }, /allowMinIsrEqualRf must be boolean/],
      [{ "kafka-broker-replicas": "warn" }, /must be equal to one of the allowed values/],
      [{ "kafka-broker-replicas": { enforcementLevel: "blocking" } }, /enforcementLevel must be equal to one of the allowed values/],
      [{ all: { minBrokers: 3 } }, /must NOT have additional properties/],
      [[], /must be object/],
    ];
    for (const [file, problem] of cases) {
      throws(
        () => reconcileConfig(policies, file),
        (error: Error) => {
          match(error.message, /^invalid policy pack config: /);
          match(error.message, problem);
          return true;
        },
        JSON.stringify(file),
      );
    }
  });

  it("rejects a file on disk that is not JSON, and accepts the shipped files' content when copied", () => {
    const dir = mkdtempSync(join(tmpdir(), "policy-config-"));
    try {
      writeFileSync(join(dir, "broken.json"), '{ "kafka-broker-replicas": { minBrokers: 3 } }');
      throws(() => readConfigFile(join(dir, "broken.json")), SyntaxError);
      writeFileSync(join(dir, "copy.json"), readFileSync(join(policyDir, "config", "do.json")));
      notStrictEqual(reconcileConfig(policies, readConfigFile(join(dir, "copy.json"))).size, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("validates every file shipped in policy/config, not only dev and do", () => {
    const files = readdirSync(join(policyDir, "config"));
    strictEqual(files.includes("dev.json") && files.includes("do.json"), true);
    for (const file of files) {
      strictEqual(reconcileConfig(policies, readConfigFile(join(policyDir, "config", file))).size, policies.length, file);
    }
  });
});
