// The app's POST token as the real engine keeps it: the Command components/sampleApp.ts declares
// (postTokenMaker), alone in a throwaway project and backend, through `pulumi up` three times. Mocks cannot
// show any of this: that the token is made once and kept by later runs, that `--replace` rotates it, and
// that neither the engine's output nor the state file holds it in plain text.
import * as assert from "assert";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { engineEnv } from "../test/support/engine";
import { root } from "../test/support/program";
import { runCaptured } from "../test/support/run";

/** Every file under `dir`, as text. */
const allText = (dir: string): string =>
  readdirSync(dir)
    .map((f) => join(dir, f))
    .map((p) => (statSync(p).isDirectory() ? allText(p) : readFileSync(p, "utf8")))
    .join("\n");

describe("engine: the app's POST token", function () {
  this.timeout(10 * 60_000);
  let dir: string;
  let env: NodeJS.ProcessEnv;

  before(async function () {
    const engine = await engineEnv();
    if ("skip" in engine) {
      console.log(`    skipped: ${engine.skip}`);
      this.skip();
    }
    dir = mkdtempSync(join(tmpdir(), "kafka-on-k8s-token-"));
    const program = join(dir, "program");
    mkdirSync(join(dir, "backend"));
    mkdirSync(program);
    symlinkSync(join(root, "node_modules"), join(program, "node_modules"));
    writeFileSync(join(program, "Pulumi.yaml"), "name: post-token\nruntime: nodejs\n");
    writeFileSync(join(program, "package.json"), JSON.stringify({ name: "post-token", main: "index.ts" }));
    writeFileSync(
      join(program, "index.ts"),
      `import { postTokenMaker } from ${JSON.stringify(join(root, "components", "sampleApp"))};\nexport const token = postTokenMaker("post-token", {}).stdout;\n`,
    );
    env = {
      ...engine.env,
      PULUMI_BACKEND_URL: `file://${join(dir, "backend")}`,
      PULUMI_CONFIG_PASSPHRASE: "engine-stage-throwaway",
      PULUMI_SKIP_UPDATE_CHECK: "true",
      NO_COLOR: "1",
    };
    const init = await pulumi(["stack", "init", "t"]);
    assert.equal(init.code, 0, init.stderr);
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const pulumi = (args: string[]) => runCaptured("pulumi", [...args, "--non-interactive"], { cwd: join(dir, "program"), env });
  const up = async (...extra: string[]) => {
    const run = await pulumi(["up", "--yes", "--stack", "t", ...extra]);
    assert.equal(run.code, 0, `${run.stdout}${run.stderr}`);
    const token = (await pulumi(["stack", "output", "token", "--show-secrets", "--stack", "t"])).stdout.trim();
    return { token, output: `${run.stdout}${run.stderr}` };
  };

  it("is made once, kept by the next run, rotated by --replace, and never shown or stored in plain text", async () => {
    const first = await up();
    assert.match(first.token, /^[0-9a-f]{64}$/, "256 random bits as hex");
    const second = await up();
    assert.equal(second.token, first.token, "a second `pulumi up` must keep the token");
    const replaced = await up("--replace", "urn:pulumi:t::post-token::command:local:Command::post-token");
    assert.notEqual(replaced.token, first.token, "`--replace` rotates it");
    for (const [what, text] of Object.entries({
      "the engine's output": first.output + second.output + replaced.output,
      "the state": allText(join(dir, "backend")),
    })) {
      for (const token of [first.token, replaced.token]) assert.ok(!text.includes(token), `the token is in ${what}`);
    }
  });
});
