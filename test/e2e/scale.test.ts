// Runs the real scripts/e2e/scale.sh against a stand-in kubectl (test/e2e/fake-kubectl-scale.sh) whose
// consumer replica count follows a script, so its verdicts are checked without a cluster: it must pass
// a scale-out followed by a scale-in, fail when either does not come, and always put the rate back.
import { strict as assert } from "node:assert";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { FakeKubectlRun, skipWithout, withFakeKubectl } from "../support/fake-kubectl";

const repoRoot = path.resolve(__dirname, "../..");
const scaleScript = path.join(repoRoot, "scripts/e2e/scale.sh");
const fakeKubectl = path.join(repoRoot, "test/e2e/fake-kubectl-scale.sh");

/** Outcome of one scale.sh run. */
interface ScaleRun extends FakeKubectlRun {
  /** The producers' PRODUCE_RATE when the script ended. */
  readonly finalRate: string;
}

/** Runs scale.sh with the replica counts `replicas` (one per read) and short timeouts. */
function runScale(replicas: string, env: Record<string, string> = {}): Promise<ScaleRun> {
  return withFakeKubectl(fakeKubectl, async (kubectl) => {
    const rate = path.join(kubectl.dir, "rate");
    await fs.writeFile(rate, "100");
    const run = await kubectl.run(scaleScript, {
      FAKE_KUBECTL_STATE: kubectl.dir,
      FAKE_MIN: "1",
      FAKE_MAX: "6",
      FAKE_REPLICAS: replicas,
      SCALE_OUT_TIMEOUT: "2",
      SCALE_IN_TIMEOUT: "2",
      SCALE_POLL_SECONDS: "0",
      ...env,
    });
    return { ...run, finalRate: await fs.readFile(rate, "utf8") };
  });
}

const rateChanges = (run: ScaleRun) =>
  run.kubectlCalls
    .split("\n")
    .filter((l) => l.startsWith("set env"))
    .map((l) => l.replace(/.* PRODUCE_RATE=/, ""));

describe("scripts/e2e/scale.sh (against a stand-in kubectl)", function () {
  this.timeout(60_000);

  before(function () {
    skipWithout(this, "scale.sh", ["jq"]);
  });

  it("passes when the consumers scale out under the raised rate and back in to the minimum after it", async () => {
    const run = await runScale("2 2 4 6 6 3 1");
    assert.equal(run.code, 0, run.output);
    assert.match(run.output, /OK: consumers 2 -> 6 -> 1 replica\(s\) \(KEDA bounds 1\.\.6\)/);
    assert.match(run.kubectlCalls, /^wait scaledobject\/sample-app-consumer -n kafka --for=condition=Ready/m);
    assert.deepEqual(rateChanges(run), ["max", "100"]);
    assert.equal(run.finalRate, "100");
  });

  it("fails when the consumers do not scale out, and puts the rate back", async () => {
    const run = await runScale("2");
    assert.equal(run.code, 1, run.output);
    assert.match(run.output, /FAIL: the consumers stayed at 2 replica\(s\) for 2 s under PRODUCE_RATE=max/);
    assert.deepEqual(rateChanges(run), ["max", "100"]);
    assert.equal(run.finalRate, "100");
  });

  it("fails when the consumers do not come back to the minimum", async () => {
    const run = await runScale("2 4 4");
    assert.equal(run.code, 1, run.output);
    assert.match(run.output, /FAIL: the consumers stayed at 4 replica\(s\) \(not 1\) for 2 s after the rate went back to 100/);
    assert.equal(run.finalRate, "100");
  });

  it("refuses to start at the maximum, without touching the rate", async () => {
    const run = await runScale("6");
    assert.equal(run.code, 1, run.output);
    assert.match(run.output, /already run the maximum \(6\)/);
    assert.deepEqual(rateChanges(run), []);
  });

  it("rejects a rate that is neither max nor a number, naming the setting", async () => {
    const run = await runScale("2 6 1", { SCALE_RATE: "fast" });
    assert.equal(run.code, 2, run.output);
    assert.match(run.output, /SCALE_RATE='fast' must be max or a positive whole number/);
  });
});
