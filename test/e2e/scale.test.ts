// Runs the real scripts/e2e/scale.sh against a stand-in kubectl (test/e2e/fake-kubectl-scale.sh) whose
// consumer replica count follows a script, so its verdicts are checked without a cluster: it must pass
// a scale-out followed by a scale-in, fail when either does not come, and always put the rate back.
import { strict as assert } from "node:assert";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";

const repoRoot = path.resolve(__dirname, "../..");
const scaleScript = path.join(repoRoot, "scripts/e2e/scale.sh");
const fakeKubectl = path.join(repoRoot, "test/e2e/fake-kubectl-scale.sh");

/** Outcome of one scale.sh run. */
interface ScaleRun {
  /** Exit code. */
  readonly code: number | null;
  /** stdout and stderr together. */
  readonly output: string;
  /** Every fake kubectl call, one per line. */
  readonly kubectlCalls: string;
  /** The producers' PRODUCE_RATE when the script ended. */
  readonly finalRate: string;
}

/** Runs scale.sh with the replica counts `replicas` (one per read) and short timeouts. */
async function runScale(replicas: string, env: Record<string, string> = {}): Promise<ScaleRun> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "scale-test-"));
  try {
    const bin = path.join(dir, "bin");
    await fs.mkdir(bin);
    await fs.writeFile(path.join(bin, "kubectl"), `#!/bin/sh\nexec bash '${fakeKubectl}' "$@"\n`, { mode: 0o755 });
    const log = path.join(dir, "kubectl.log");
    await fs.writeFile(log, "");
    await fs.writeFile(path.join(dir, "rate"), "100");
    const child = spawn("bash", [scaleScript], {
      env: {
        ...process.env,
        PATH: `${bin}:${process.env.PATH ?? ""}`,
        FAKE_KUBECTL_LOG: log,
        FAKE_KUBECTL_STATE: dir,
        FAKE_MIN: "1",
        FAKE_MAX: "6",
        FAKE_REPLICAS: replicas,
        SCALE_OUT_TIMEOUT: "2",
        SCALE_IN_TIMEOUT: "2",
        SCALE_POLL_SECONDS: "0",
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    return { code, output, kubectlCalls: await fs.readFile(log, "utf8"), finalRate: await fs.readFile(path.join(dir, "rate"), "utf8") };
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

const rateChanges = (run: ScaleRun) =>
  run.kubectlCalls
    .split("\n")
    .filter((l) => l.startsWith("set env"))
    .map((l) => l.replace(/.* PRODUCE_RATE=/, ""));

describe("scripts/e2e/scale.sh (against a stand-in kubectl)", function () {
  this.timeout(60_000);

  before(function () {
    if (spawnSync("bash", ["-c", "command -v jq"]).status !== 0) {
      console.log("SKIP: scale.sh needs jq on PATH");
      this.skip();
    }
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
