// The real Pulumi engine for the engine stages (test-engine/): the CLI, the Node.js language host and the
// resource plugins, run against this repository's program in a throwaway project directory and a
// throwaway local file backend, offline. Never touches ~/.pulumi or the committed stack files.
import { execFile } from "child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { promisify } from "util";
import { parse, stringify } from "yaml";
import { root } from "./program";
import { runCaptured } from "./run";

const run = promisify(execFile);

/**
 * Environment that selects the engine: `PULUMI_ENGINE_DIR` names a directory holding the engine's
 * install.sh (CI: ../shared/engine), which unpacks it once into the cache and prints the variables;
 * otherwise a `pulumi` on PATH (a user's own install) is used as it is.
 */
export async function engineEnv(): Promise<{ env: NodeJS.ProcessEnv } | { skip: string }> {
  const dir = process.env.PULUMI_ENGINE_DIR;
  if (dir) {
    const { stdout } = await run("bash", [join(dir, "install.sh")], { maxBuffer: 1 << 20 });
    // One line: export K="v" K2="v2" ...
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const [, key, value] of stdout.matchAll(/([A-Z_]+)="?([^"\s]*)"?/g)) {
      env[key] = value.replace("$PATH", process.env.PATH ?? "");
    }
    return { env };
  }
  try {
    await run("pulumi", ["version"]);
    return { env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true" } };
  } catch {
    return { skip: "no Pulumi engine: set PULUMI_ENGINE_DIR (CI: ../shared/engine) or put the pulumi CLI on PATH" };
  }
}

/** One event of `pulumi preview|up|destroy --json` with streaming events. */
export type EngineEvent = Record<string, any>;

/** A policy violation or notice the engine reported. */
export interface PolicyEvent {
  /** Policy name. */
  readonly policyName: string;
  /** Level the engine applied (`advisory` for "can't run during preview"). */
  readonly enforcementLevel: string;
  /** The message, the policy's description first. */
  readonly message: string;
  /** URN the violation is attached to, if any. */
  readonly resourceUrn?: string;
}

/** What one engine command produced. */
export interface EngineRun {
  /** Exit code of the CLI. */
  readonly code: number;
  /** Every streamed event. */
  readonly events: EngineEvent[];
  /** The resource steps announced before they ran (`resourcePreEvent.metadata`). */
  readonly steps: { op: string; type: string; urn: string }[];
  /** Policy violations and notices. */
  readonly policies: PolicyEvent[];
  /** Error and warning diagnostics, as printed. */
  readonly diagnostics: string[];
  /** The summary event's resource changes, by operation. */
  readonly changes: Record<string, number>;
  /** Wall-clock seconds. */
  readonly seconds: number;
  /** Standard error of the CLI (anything not an event). */
  readonly stderr: string;
}

/** A throwaway project + backend in which the engine runs this repository's program. */
export interface EngineProject {
  /** The project directory (holds Pulumi.yaml, the stack files and a link to the program). */
  readonly dir: string;
  /** Environment every CLI call gets. */
  readonly env: NodeJS.ProcessEnv;
  /** Runs `pulumi <args>` in the project; streaming JSON events are parsed when `--json` is given. */
  pulumi(args: readonly string[], extraEnv?: NodeJS.ProcessEnv): Promise<EngineRun>;
  /** Sets a config value of a stack (secrets with `secret`), in the throwaway stack file only. */
  setConfig(stack: string, key: string, value: string, secret?: boolean): Promise<void>;
  /** Removes the project and the backend. */
  dispose(): void;
}

/**
 * Makes a project directory whose Pulumi.yaml points at this repository (through a link, so the program,
 * its node_modules and the sample app are the real ones) and copies the committed stack files, so
 * `stack init` writes its encryption salt there and never into the repository. `stacks` are created.
 */
export async function engineProject(env: NodeJS.ProcessEnv, stacks: readonly string[]): Promise<EngineProject> {
  const dir = mkdtempSync(join(tmpdir(), "kafka-on-k8s-engine-"));
  const backend = join(dir, "backend");
  const projectEnv: NodeJS.ProcessEnv = {
    ...env,
    PULUMI_BACKEND_URL: `file://${backend}`,
    PULUMI_CONFIG_PASSPHRASE: "engine-stage-throwaway",
    PULUMI_SKIP_UPDATE_CHECK: "true",
    // No colours or progress animation in the captured output.
    PULUMI_DISABLE_CI_DETECTION: "true",
    NO_COLOR: "1",
  };
  symlinkSync(root, join(dir, "program"));
  const manifest = parse(readFileSync(join(root, "Pulumi.yaml"), "utf8")) as Record<string, unknown>;
  writeFileSync(join(dir, "Pulumi.yaml"), stringify({ ...manifest, main: "program/" }));
  mkdirSync(backend);
  const project: EngineProject = {
    dir,
    env: projectEnv,
    async pulumi(args, extraEnv = {}) {
      const { code, stdout, stderr, seconds } = await runCaptured("pulumi", [...args, "--non-interactive"], {
        cwd: dir,
        env: { ...projectEnv, PULUMI_ENABLE_STREAMING_JSON_PREVIEW: "true", ...extraEnv },
      });
      const events = args.includes("--json") ? parseEvents(stdout) : [];
      const summary = events.find((e) => e.summaryEvent)?.summaryEvent;
      return {
        code,
        events,
        stderr: args.includes("--json") ? stderr : `${stdout}${stderr}`,
        seconds,
        steps: events
          .filter((e) => e.resourcePreEvent)
          .map((e) => e.resourcePreEvent.metadata)
          .map((m: Record<string, any>) => ({ op: m.op, type: m.type, urn: m.urn })),
        policies: events.filter((e) => e.policyEvent).map((e) => e.policyEvent as PolicyEvent),
        diagnostics: events
          .filter((e) => e.diagnosticEvent && ["error", "warning"].includes(e.diagnosticEvent.severity))
          .map((e) => `${e.diagnosticEvent.severity}: ${e.diagnosticEvent.message}`),
        changes: summary?.resourceChanges ?? {},
      };
    },
    async setConfig(stack, key, value, secret = false) {
      // The value goes through stdin, never argv.
      const set = await runCaptured(
        "pulumi",
        ["config", "set", "--stack", stack, ...(secret ? ["--secret"] : []), key, "--non-interactive"],
        {
          cwd: dir,
          env: projectEnv,
          input: value,
        },
      );
      if (set.code !== 0) throw new Error(`pulumi config set ${key}: ${set.stderr}`);
    },
    dispose() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
  for (const stack of stacks) {
    copyFileSync(join(root, `Pulumi.${stack}.yaml`), join(dir, `Pulumi.${stack}.yaml`));
    const init = await project.pulumi(["stack", "init", stack]);
    if (init.code !== 0) throw new Error(`pulumi stack init ${stack} failed: ${init.stderr}`);
  }
  return project;
}

/** Streaming JSON events are one JSON object per line (blank lines between). */
function parseEvents(stdout: string): EngineEvent[] {
  return stdout
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as EngineEvent);
}

/** The stack's own `--policy-pack` arguments, as the PR check passes them. */
export function policyArgs(configStack: string): string[] {
  return ["--policy-pack", join(root, "policy"), "--policy-pack-config", join(root, "policy", "config", `${configStack}.json`)];
}

/** The mandatory policies the dev stack's shape breaks under the strict (production) settings. */
export const policiesDevBreaksWhenStrict = [
  "kafka-broker-replicas",
  "kafka-controller-replicas",
  "kafka-persistent-storage",
  "kafka-replication-config",
  "kafka-topic-replicas",
  "sample-app-deployment",
];
