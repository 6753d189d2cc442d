// The policy pack binds (issue 22, item 3), shown with the real Pulumi engine: a first preview whose topic
// replicas exceed the brokers is refused by a mandatory policy, a pack config that lowers a replica rule is
// refused before anything runs, and a stack without a config file of its own is checked with the strict
// settings, whatever config file is passed.
import * as assert from "assert";
import { copyFileSync, readFileSync, writeFileSync } from "fs";
import { join } from "path";
import { parse, stringify } from "yaml";
import { EngineProject, EngineRun, engineEnv, engineProject, policiesDevBreaksWhenStrict, policyArgs } from "../test/support/engine";
import { root } from "../test/support/program";

const mandatory = (run: EngineRun) => run.policies.filter((p) => p.enforcementLevel === "mandatory");
const everything = (run: EngineRun) => `${run.diagnostics.join("\n")}\n${run.stderr}`;

/** `--policy-pack` with a config file of the test's own making, written into the project directory. */
function policyArgsWith(project: EngineProject, name: string, config: object): string[] {
  const path = join(project.dir, `${name}.json`);
  writeFileSync(path, JSON.stringify(config));
  return [...policyArgs("dev").slice(0, 2), "--policy-pack-config", path];
}

describe("engine: the policy pack binds", function () {
  this.timeout(15 * 60_000);
  let env: NodeJS.ProcessEnv;
  const projects: EngineProject[] = [];

  before(async function () {
    const engine = await engineEnv();
    if ("skip" in engine) {
      console.log(`    skipped: ${engine.skip}`);
      this.skip();
    }
    env = engine.env;
  });

  after(() => projects.forEach((p) => p.dispose()));

  const preview = (project: EngineProject, stack: string, args: string[]) =>
    project.pulumi(["preview", "--stack", stack, "--json", ...args]);

  describe("a first preview decides the replica rules from the program's inputs", () => {
    it("refuses topic replicas above the brokers (dev, 1 broker, replicas 3) with kafka-replicas-within-brokers", async () => {
      const project = await engineProject(env, ["dev"]);
      projects.push(project);
      // The same project, but running the fixture: the program without its own replicas check.
      const manifest = parse(readFileSync(join(project.dir, "Pulumi.yaml"), "utf8")) as Record<string, unknown>;
      writeFileSync(join(project.dir, "Pulumi.yaml"), stringify({ ...manifest, main: "program/test-engine/fixtures/unchecked-topic/" }));
      await project.setConfig("dev", "fixture:topicReplicas", "3");

      const run = await preview(project, "dev", policyArgs("dev"));
      const events = run.policies.map((p) => `${p.enforcementLevel} ${p.policyName}: ${p.message}`).join("\n");
      assert.notStrictEqual(run.code, 0, `the preview passed\n${events}\n${everything(run)}`);
      const refusals = mandatory(run).filter((p) => p.policyName === "kafka-replicas-within-brokers");
      assert.deepStrictEqual(
        refusals.map((p) => p.message.split("\n").slice(1).join("\n").trimEnd()),
        ["KafkaTopic kafka/demo-events: replicas 3, above the 1 broker replicas of cluster kafka/kafka"],
        `${run.policies.map((p) => `${p.enforcementLevel} ${p.policyName}: ${p.message}`).join("\n")}\n${everything(run)}`,
      );
      // Every other policy passed under dev's config: only the fixture's bad value is refused.
      assert.deepStrictEqual([...new Set(mandatory(run).map((p) => p.policyName))], ["kafka-replicas-within-brokers"]);
    });
  });

  describe("the pack config cannot lower a replica rule or borrow another stack's thresholds", () => {
    let project: EngineProject;

    before(async () => {
      project = await engineProject(env, ["dev"]);
      projects.push(project);
      // A stack with no policy/config/<stack>.json: dev's shape under another name.
      copyFileSync(join(root, "Pulumi.dev.yaml"), join(project.dir, "Pulumi.prod.yaml"));
      const init = await project.pulumi(["stack", "init", "prod"]);
      assert.strictEqual(init.code, 0, init.stderr);
    });

    const devConfig = () => JSON.parse(readFileSync(join(root, "policy", "config", "dev.json"), "utf8")) as Record<string, unknown>;

    /** The preview failed while loading the pack: nothing was planned, and the output names each reason. */
    const assertRefusedAtLoad = (run: EngineRun, reasons: RegExp[]) => {
      assert.notStrictEqual(run.code, 0, `the preview passed\n${everything(run)}`);
      assert.deepStrictEqual(run.steps, [], "the program ran: the pack did not refuse its config at load");
      for (const reason of reasons) assert.match(everything(run), reason);
    };

    it("refuses a config that disables kafka-replicas-within-brokers", async () => {
      const run = await preview(
        project,
        "dev",
        policyArgsWith(project, "disabled", { ...devConfig(), "kafka-replicas-within-brokers": "disabled" }),
      );
      assertRefusedAtLoad(run, [/kafka-replicas-within-brokers/, /disabled/, /mandatory/]);
    });

    it('refuses "all": "advisory", naming every replica rule it would lower', async () => {
      const run = await preview(project, "dev", policyArgsWith(project, "all-advisory", { all: "advisory" }));
      assertRefusedAtLoad(run, [/kafka-broker-replicas/, /kafka-topic-replicas/, /kafka-replicas-within-brokers/, /advisory/]);
    });

    it("refuses dev's relaxed thresholds for a stack without a config of its own (prod)", async () => {
      const run = await preview(project, "prod", policyArgs("dev"));
      assertRefusedAtLoad(run, [/prod/, /minBrokers/]);
    });

    it("checks that stack with the strict settings when no config is passed: dev's shape fails them", async () => {
      const run = await preview(project, "prod", policyArgs("dev").slice(0, 2));
      assert.notStrictEqual(run.code, 0, "the preview passed");
      assert.deepStrictEqual(
        [...new Set(mandatory(run).map((p) => p.policyName))].sort(),
        policiesDevBreaksWhenStrict,
        `${run.policies.length} policy events; ${everything(run)}`,
      );
    });
  });
});
