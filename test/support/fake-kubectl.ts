// The e2e scripts' tests run the real scripts/e2e/*.sh with a stand-in kubectl (test/e2e/fake-kubectl*.sh)
// first on PATH, which logs every call so a test can check what the script asked the cluster.
import { spawnSync } from "child_process";
import * as fs from "fs/promises";
import * as os from "os";
import * as path from "path";
import { Captured, runCaptured } from "./run";

/** One script run against the stand-in. */
export interface FakeKubectlRun extends Captured {
  /** stdout, then stderr. */
  readonly output: string;
  /** Every kubectl call, one per line. */
  readonly kubectlCalls: string;
}

/** A temporary directory whose `bin/kubectl` runs the stand-in. */
export interface FakeKubectl {
  /** The directory, for the stand-in's state; removed after use. */
  readonly dir: string;
  /** Runs `script` with bash, the stand-in on PATH and `env` added to this process's environment. */
  run(script: string, env: Record<string, string>): Promise<FakeKubectlRun>;
}

/** Gives `use` a stand-in kubectl running the bash script `fake`, and removes it afterwards. */
export async function withFakeKubectl<T>(fake: string, use: (kubectl: FakeKubectl) => Promise<T>): Promise<T> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "fake-kubectl-"));
  try {
    const bin = path.join(dir, "bin");
    await fs.mkdir(bin);
    await fs.writeFile(path.join(bin, "kubectl"), `#!/bin/sh\nexec bash '${fake}' "$@"\n`, { mode: 0o755 });
    const log = path.join(dir, "kubectl.log");
    await fs.writeFile(log, "");
    return await use({
      dir,
      async run(script, env) {
        const ran = await runCaptured("bash", [script], {
          env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ""}`, FAKE_KUBECTL_LOG: log, ...env },
        });
        return { ...ran, output: `${ran.stdout}${ran.stderr}`, kubectlCalls: await fs.readFile(log, "utf8") };
      },
    });
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** Skips the suite, saying why, when a tool the script needs is not on PATH. */
export function skipWithout(suite: Mocha.Context, script: string, tools: readonly string[]): void {
  const missing = tools.filter((tool) => spawnSync("bash", ["-c", `command -v ${tool}`]).status !== 0);
  if (missing.length > 0) {
    console.log(`SKIP: ${script} needs ${missing.join(" and ")} on PATH`);
    suite.skip();
  }
}
