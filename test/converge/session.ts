// What the convergence runs (test-converge/*.test.ts) share: running commands in the engine project with
// every command's output kept in one log for a failed run's post-mortem, and reading Deployments' rollout.
import { appendFileSync, copyFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { EngineProject, EngineRun } from "../support/engine";
import { runCaptured } from "../support/run";

/** One finished command. */
export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly seconds: number;
}

/** The exit code and the last `lines` of output, for an assertion message. */
export const tailOf = (run: Run, lines = 40) =>
  `exit ${run.code} after ${run.seconds} s; output tail:\n` + `${run.stdout}\n${run.stderr}`.trimEnd().split("\n").slice(-lines).join("\n");

/** Runs commands in `project` for `stack`, logging each to `<work>/commands.log` and timing the pulumi ones. */
export class Session {
  /** `pulumi <verb>: <seconds> s`, in order. */
  readonly timings: string[] = [];

  constructor(
    private readonly work: string,
    private readonly project: () => EngineProject,
    private readonly stack: string,
  ) {}

  private log(what: string, run: Run): void {
    appendFileSync(join(this.work, "commands.log"), `$ ${what}\n${run.stdout}\n${run.stderr}\n(exit ${run.code}, ${run.seconds} s)\n`);
  }

  /** Runs a command in the project with its environment. */
  async exec(command: string, args: readonly string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<Run> {
    const project = this.project();
    const { code, stdout, stderr, seconds } = await runCaptured(command, args, { cwd: project.dir, env: { ...project.env, ...extraEnv } });
    const run = { code, stdout, stderr, seconds: Math.round(seconds * 10) / 10 };
    this.log(`${command} ${args.join(" ")}`, run);
    return run;
  }

  /** `pulumi <args> --stack <stack>`, timed. */
  async pulumi(args: readonly string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<Run> {
    const engineRun = await this.engine(args, extraEnv);
    return { code: engineRun.code, stdout: "", stderr: engineRun.stderr, seconds: Math.round(engineRun.seconds * 10) / 10 };
  }

  /** The same, with the engine's parsed events (pass `--json`): which step each resource went through. */
  async engine(args: readonly string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<EngineRun> {
    const engineRun = await this.project().pulumi([...args, "--stack", this.stack], extraEnv);
    const seconds = Math.round(engineRun.seconds * 10) / 10;
    const output = [...engineRun.diagnostics, engineRun.stderr].join("\n");
    this.log(`pulumi ${args.join(" ")}`, { code: engineRun.code, stdout: "", stderr: output, seconds });
    this.timings.push(`pulumi ${args[0]}: ${seconds} s`);
    return engineRun;
  }

  /** Copies the command log next to the temp dir (it is removed with the work dir) and returns its path. */
  keepLog(name: string): string {
    const kept = join(tmpdir(), `${name}-${process.pid}.log`);
    copyFileSync(join(this.work, "commands.log"), kept);
    return kept;
  }
}

/** Each Deployment in a `kubectl get deployments -o json` list, and whether it has rolled out. */
export const rollouts = (list: { items: any[] }) =>
  list.items.map((d) => ({
    name: `${d.metadata.namespace}/${d.metadata.name}`,
    rolledOut:
      d.status.observedGeneration >= d.metadata.generation &&
      d.status.updatedReplicas === d.spec.replicas &&
      d.status.availableReplicas === d.spec.replicas &&
      d.spec.replicas > 0,
  }));
