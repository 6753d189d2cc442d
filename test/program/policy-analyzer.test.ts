import { deepStrictEqual, match, rejects, strictEqual } from "assert";
import { join } from "path";
import { policies } from "../../policy/policies";
import { analyze, analyzerInfo, analyzeStack, configure, Diagnostic, RunningPack, startPack } from "../../policy/test/analyzer";
import { devConfig, doConfig } from "../../policy/test/configs";
import { container, deployment, kafka, nodePool, topic } from "../../policy/test/fixtures";
import { PackConfig, policyDir, runPack, TestResource } from "../../policy/test/harness";
import { fromProgram } from "../support/policy-pack";
import { runProgram, StackName } from "../support/program";

// The marker the engine puts where a preview does not know a value yet (declared @internal, so no typings).
const { unknownStringValue } = require(join(policyDir, "node_modules", "@pulumi", "policy", "proxy")) as { unknownStringValue: string };

/** What the engine would print for a pack run: the server prefixes each message with the policy's description. */
async function serverDiagnostics(pack: RunningPack, resources: readonly TestResource[]): Promise<Diagnostic[]> {
  const perResource = await Promise.all(resources.map((resource) => analyze(pack, resource)));
  return [...perResource.flat(), ...(await analyzeStack(pack, resources))];
}

/** The harness's findings in the server's shape, so both can be compared as sets. */
async function harnessDiagnostics(resources: readonly TestResource[], config: PackConfig): Promise<Diagnostic[]> {
  const description = new Map(policies.map((p) => [p.name, p.description]));
  return (await runPack(policies, resources, config)).map((v) => ({
    policy: v.policy,
    level: v.level,
    message: `${description.get(v.policy)}\n${v.message}`,
  }));
}

const sorted = (diagnostics: Diagnostic[]) => [...diagnostics].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

describe("the policy pack served by the real analyzer host (run-policy-pack, gRPC)", function () {
  // Starting the pack type-checks it with ts-node, as `pulumi preview --policy-pack` does.
  this.timeout(240_000);
  // One pack process per stack, as the engine starts one per operation with the stack in PULUMI_STACK.
  const packs = new Map<StackName, RunningPack>();
  const packFor = async (stack: StackName) => {
    if (!packs.has(stack)) {
      packs.set(stack, await startPack(stack));
    }
    return packs.get(stack)!;
  };

  after(() => [...packs.values()].forEach((pack) => pack.stop()));

  it("serves every policy of the pack, mandatory by default and consumer-within-partitions advisory", async () => {
    const info = await analyzerInfo(await packFor("do"));
    strictEqual(info.getName(), "kafka-on-k8s");
    strictEqual(info.getSupportsconfig(), true);
    deepStrictEqual(
      info.getPoliciesList().map((p) => [p.getName(), p.getEnforcementlevel()]),
      policies.map((p) => [p.name, p.name === "consumer-within-partitions" ? 0 : 1]),
    );
  });

  for (const [stack, overrides, config, preview] of [
    ["dev", {}, devConfig, "later"],
    ["do", {}, doConfig, "later"],
    ["do", { brokerReplicas: 1, replicationFactor: undefined, minInsyncReplicas: undefined }, doConfig, "later"],
    ["do", { brokerReplicas: 1, replicationFactor: undefined, minInsyncReplicas: undefined }, doConfig, "firstPreview"],
  ] as [StackName, Record<string, unknown>, PackConfig, "later" | "firstPreview"][]) {
    const variant = `${Object.keys(overrides).length ? " with 1 broker" : ""}${preview === "firstPreview" ? ", on its first preview" : ""}`;
    it(`reports what the harness reports for the ${stack} stack${variant}`, async () => {
      const pack = await packFor(stack);
      const resources = fromProgram((await runProgram(stack, overrides)).resources, preview);
      await configure(pack, config);
      const served = await serverDiagnostics(pack, resources);
      deepStrictEqual(sorted(served), sorted(await harnessDiagnostics(resources, config)));
      strictEqual(
        served.some((d) => d.level === "mandatory"),
        Object.keys(overrides).length > 0,
      );
      // The stack policies decided from the inputs the server was shown, on a first preview too.
      deepStrictEqual(
        served.filter((d) => /can't run policy/.test(d.message)),
        [],
      );
    });
  }

  it("reports what the harness reports across two Kafka clusters", async () => {
    const pack = await packFor("do");
    const resources = [
      kafka(),
      nodePool("brokers", ["broker"]),
      topic("demo-events"),
      kafka({}, { cluster: "small" }),
      nodePool("small-brokers", ["broker"], { replicas: 1 }, { cluster: "small" }),
      topic("small-events", { replicas: 2 }, { cluster: "small" }),
    ];
    await configure(pack, doConfig);
    const served = await serverDiagnostics(pack, resources);
    deepStrictEqual(sorted(served), sorted(await harnessDiagnostics(resources, doConfig)));
    strictEqual(served.filter((d) => d.policy === "kafka-replicas-within-brokers").length, 4);
  });

  it("downgrades a policy that reads a value unknown during preview to an advisory notice", async () => {
    const pack = await packFor("do");
    await configure(pack, doConfig);
    const unknownImage = deployment("producer", {}, { containers: [container({ image: unknownStringValue })] });
    const served = await analyze(pack, unknownImage);
    deepStrictEqual(
      served.map((d) => [d.policy, d.level]),
      [["sample-app-deployment", "advisory"]],
    );
    match(served[0].message, /^can't run policy 'sample-app-deployment' from policy pack 'kafka-on-k8s@v0\.1\.0' during preview: /);
  });

  it("refuses a Configure that lowers a replica rule or borrows another stack's thresholds, naming each", async () => {
    const dev = await packFor("dev");
    const lowered = new Map(devConfig).set("kafka-topic-replicas", {
      ...devConfig.get("kafka-topic-replicas")!,
      enforcementLevel: "advisory",
    });
    await rejects(
      configure(dev, lowered),
      /for stack dev;[^]*kafka-topic-replicas: enforcementLevel "advisory", but the replica rules are mandatory/,
    );
    // Another policy's level is the config's to choose, and the strict thresholds are always accepted.
    const quiet = new Map(devConfig).set("sample-app-disruption-budget", {
      ...devConfig.get("sample-app-disruption-budget")!,
      enforcementLevel: "advisory",
    });
    await configure(dev, quiet);
    await configure(dev, doConfig);
    await rejects(configure(await packFor("do"), devConfig), /kafka-broker-replicas: minBrokers 1, but policy\/config\/do\.json sets 3/);
  });
});
