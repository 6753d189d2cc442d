// The newcomer's commands: `npm run doctor [-- <stack>]`, `npm run up -- <stack>`, `npm run down -- <stack>`.
// up = the preflight, then `pulumi stack select --create`, `pulumi up` with the policy pack and the stack's
// policy config, and the dashboard command printed at the end; down = `pulumi destroy`. Without
// PULUMI_BACKEND_URL the state goes to a local folder, so no Pulumi account is needed.
import { spawnSync } from "child_process";
import { randomBytes } from "crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "fs";
import { homedir } from "os";
import { join } from "path";
import { parse } from "yaml";
import { ConfigError } from "../components/config";
import { describeProblem } from "../components/config/problems";
import { parseSettings } from "../components/config/schema";
import { checkTools, execWith, Needs } from "../components/preflight";

export const root = join(__dirname, "..");
const project = "kafka-on-k8s";
/** The default local backend, a folder of the user's own (what `pulumi login file://~/.pulumi-kafka-on-k8s` selects). */
export const localBackendDir = (home: string) => join(home, ".pulumi-kafka-on-k8s");

/** The stacks this project has: one per committed Pulumi.<stack>.yaml. */
export function knownStacks(dir = root): string[] {
  return readdirSync(dir)
    .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
}

/**
 * What a stack runs, read from its stack file through the config module's schema, so its defaults
 * (clusterKind, fluxVersion) are the program's. A stack file the schema refuses throws ConfigError.
 */
export function stackNeeds(stack: string, dir = root): Needs {
  const file = parse(readFileSync(join(dir, `Pulumi.${stack}.yaml`), "utf8")) as { config?: Record<string, unknown> };
  // As Pulumi hands config to a program: every value a string, objects as JSON.
  const values = Object.fromEntries(
    Object.entries(file.config ?? {}).map(([k, v]) => [k, typeof v === "object" ? JSON.stringify(v) : String(v)]),
  );
  const schema = parseSettings({ project, stack, values, secretKeys: [] });
  if (!schema.parsed) throw new ConfigError(schema.problems.map(describeProblem));
  const { clusterKind, fluxVersion } = schema.parsed.values;
  return { stack, clusterKind, fluxVersion };
}

const usage = (stacks: string[]) =>
  `usage: npm run up -- <stack> | npm run down -- <stack> | npm run doctor [-- <stack>]; <stack> is one of: ${stacks.join(", ")}`;

/** Where a script writes; tests capture it. */
export interface Out {
  log(line: string): void;
  error(line: string): void;
}

/** Prints the preflight of `needs`; true when nothing stops the stack. */
function doctor(needs: Needs, env: NodeJS.ProcessEnv, out: Out): boolean {
  const report = checkTools({ ...needs, pulumiCli: true }, execWith(env));
  out.log(`Tools for stack ${needs.stack} (clusterKind ${needs.clusterKind}, flux ${needs.fluxVersion}):`);
  for (const line of report.ok) out.log(`  ok       ${line}`);
  for (const line of report.warnings) out.log(`  warning  ${line}`);
  for (const line of report.problems) out.error(`  PROBLEM  ${line}`);
  if (report.problems.length)
    out.error(
      `${report.problems.length} problem${report.problems.length === 1 ? "" : "s"}: fix ${report.problems.length === 1 ? "it" : "them"} first.`,
    );
  return report.problems.length === 0;
}

/** Runs one pulumi command in the project directory; its output goes to the terminal unless captured. */
function pulumi(args: string[], env: NodeJS.ProcessEnv, capture = false): { code: number; stdout: string } {
  const r = spawnSync("pulumi", args, { cwd: root, env, encoding: "utf8", stdio: capture ? ["inherit", "pipe", "inherit"] : "inherit" });
  if (r.error) throw new Error(`pulumi ${args.join(" ")}: ${r.error.message}`);
  return { code: r.status ?? 1, stdout: r.stdout ?? "" };
}

/** Runs `doctor|up|down [stack]`; returns the exit code. */
export function main(argv: readonly string[], env: NodeJS.ProcessEnv, out: Out): number {
  const stacks = knownStacks();
  const [command, stackArg, ...rest] = argv;
  // The default for doctor only: up and down act on a stack, which must be named.
  const stack = stackArg ?? (command === "doctor" ? "dev" : undefined);
  if (!["doctor", "up", "down"].includes(command ?? "") || rest.length) {
    out.error(usage(stacks));
    return 2;
  }
  if (!stack || !stacks.includes(stack)) {
    out.error(stack ? `unknown stack "${stack}": allowed: ${stacks.join(", ")} (one per Pulumi.<stack>.yaml)` : usage(stacks));
    return 2;
  }

  let needs: Needs;
  try {
    needs = stackNeeds(stack);
  } catch (e) {
    out.error((e as Error).message);
    return 1;
  }
  if (command === "doctor") return doctor(needs, env, out) ? 0 : 1;

  const runEnv = { ...env };
  if (!runEnv.PULUMI_BACKEND_URL) {
    const dir = localBackendDir(env.HOME ?? homedir());
    mkdirSync(dir, { recursive: true });
    runEnv.PULUMI_BACKEND_URL = `file://${dir}`;
    out.log(`State: ${runEnv.PULUMI_BACKEND_URL} (local; set PULUMI_BACKEND_URL for another backend)`);
    // A local backend encrypts the stack's secrets (kubeconfig, tokens) with a passphrase. An empty one
    // would leave them readable by anyone given a copy of the state, so without one of the user's a
    // random one is made once, beside the state and readable by the user only.
    if (runEnv.PULUMI_CONFIG_PASSPHRASE === undefined && !runEnv.PULUMI_CONFIG_PASSPHRASE_FILE) {
      const file = join(dir, "passphrase");
      if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString("base64url"), { mode: 0o600, flag: "wx" });
      runEnv.PULUMI_CONFIG_PASSPHRASE_FILE = file;
      out.log(`Secrets passphrase: ${file} (made once; keep it with the state, or set PULUMI_CONFIG_PASSPHRASE)`);
    }
  }

  if (command === "down") return pulumi(["destroy", "--stack", stack, "--yes"], runEnv).code;

  // The program runs the same check before declaring anything; here it also covers the Pulumi CLI and
  // shows every tool before pulumi starts.
  if (!doctor(needs, env, out)) return 1;
  const select = pulumi(["stack", "select", "--create", stack], runEnv);
  if (select.code) return select.code;
  // As the e2e workflow runs it: the stack's own policy config, else the pack's strict defaults.
  const policyConfig = `policy/config/${stack}.json`;
  const policy = ["--policy-pack", "policy", ...(existsSync(join(root, policyConfig)) ? ["--policy-pack-config", policyConfig] : [])];
  const up = pulumi(["up", "--stack", stack, "--yes", ...policy], runEnv);
  if (up.code) return up.code;
  const dashboard = pulumi(["stack", "output", "dashboardCommand", "--stack", stack], runEnv, true);
  if (dashboard.code) return dashboard.code;
  out.log(`\nDashboard: ${dashboard.stdout.trim()}`);
  return 0;
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2), process.env, { log: console.log, error: console.error });
}
