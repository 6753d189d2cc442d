// The tools a stack runs on this machine, checked before anything is declared: without this a missing
// kind fails inside a Command with `exit status 127`, and a wrong flux CLI only after the kind cluster
// exists. Every problem is reported at once, like the config errors. Used by the program (index.ts),
// `npm run doctor` and `npm run up`.
import * as pulumi from "@pulumi/pulumi";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import { spawnSync } from "child_process";
import * as semver from "semver";
import pulumiPackage from "@pulumi/pulumi/package.json";
import packageJson from "../package.json";
import { pinned } from "./config/pinned";

/** What a command printed, or that it is not on PATH. */
export interface Run {
  /** The command is not on PATH (or not executable). */
  readonly missing: boolean;
  /** Exit code; null when it was killed or did not start. */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a tool; injectable so tests can point it at a PATH of stand-in scripts. */
export type Exec = (tool: string, args: readonly string[]) => Run;

/** Runs tools found on `env.PATH` (Node looks commands up on the PATH of the env it is given). */
export function execWith(env: NodeJS.ProcessEnv, timeoutMs = 20_000): Exec {
  return (tool, args) => {
    // A hung `docker info` (an engine that accepts but never answers) must not hang the program.
    const r = spawnSync(tool, args, { env, encoding: "utf8", timeout: timeoutMs });
    const code = (r.error as NodeJS.ErrnoException | undefined)?.code;
    const timedOut = code === "ETIMEDOUT" ? `no answer within ${timeoutMs / 1000} s` : "";
    return { missing: code === "ENOENT" || code === "EACCES", code: r.status, stdout: r.stdout ?? "", stderr: timedOut || r.stderr || "" };
  };
}

/** What the chosen stack runs: its cluster kind and its Flux version (kafka-on-k8s:fluxVersion). */
export interface Needs {
  readonly stack: string;
  readonly clusterKind: "kind" | "doks";
  readonly fluxVersion: string;
  /** Check the Pulumi CLI too (npm run doctor/up; the program is already run by it). */
  readonly pulumiCli?: boolean;
}

/** The result of checking every tool. */
export interface Report {
  /** One line per tool found as needed. */
  readonly ok: string[];
  /** Tools the stack cannot come up without: `pulumi up` stops on any of these. */
  readonly problems: string[];
  /** Tools only a person uses afterwards (kubectl, doctl) or a version merely untested: reported only. */
  readonly warnings: string[];
}

// Where to get each tool, in the fix line of its problem.
const where = {
  node: "https://nodejs.org/en/download",
  kind: "https://kind.sigs.k8s.io/docs/user/quick-start/#installation",
  docker: "https://docs.docker.com/engine/install/",
  flux: "https://fluxcd.io/flux/installation/#install-the-flux-cli",
  kubectl: "https://kubernetes.io/docs/tasks/tools/",
  doctl: "https://docs.digitalocean.com/reference/doctl/how-to/install/",
  pulumi: "https://www.pulumi.com/docs/iac/download-install/",
};

/** The client version `kubectl version --client -o json` reports, or null. */
function kubectlClientVersion(json: string): string | null {
  try {
    return semver.valid(semver.coerce((JSON.parse(json) as { clientVersion?: { gitVersion?: string } }).clientVersion?.gitVersion));
  } catch {
    return null;
  }
}

const firstLine = (text: string) => text.trim().split("\n")[0] ?? "";

/**
 * Checks every tool the stack runs, against the pins. `nodeVersion` is the running Node's (process.version).
 * Never throws: the caller decides whether problems stop it (see preflightOutcome).
 */
export function checkTools(needs: Needs, exec: Exec, nodeVersion: string = process.version): Report {
  const report: Report = { ok: [], problems: [], warnings: [] };
  const kindCluster = needs.clusterKind === "kind";

  const engines = packageJson.engines.node;
  if (semver.satisfies(nodeVersion, engines)) report.ok.push(`node ${nodeVersion} (package.json engines ${engines})`);
  else
    report.problems.push(
      `node: found ${nodeVersion}, package.json engines needs ${engines}. Fix: install Node.js ${engines} from ${where.node}`,
    );

  if (needs.pulumiCli) {
    // The CLI and the SDK are released together; the README pins both at the SDK's version.
    const sdk = pulumiPackage.version;
    const run = exec("pulumi", ["version"]);
    const found = semver.valid(semver.coerce(run.stdout.trim()));
    if (run.missing || run.code !== 0)
      report.problems.push(`pulumi: not found on PATH; the pin is ${sdk}. Fix: install the Pulumi CLI ${sdk} from ${where.pulumi}`);
    else if (found !== sdk)
      report.warnings.push(
        `pulumi: found ${run.stdout.trim()}, the pin is ${sdk} (the SDK's); it may work. Fix: install ${sdk} from ${where.pulumi}`,
      );
    else report.ok.push(`pulumi ${found}`);
  }

  if (kindCluster) {
    // `kind version` prints `kind v0.31.0 go1.25.5 linux/amd64`. The node image is pinned by digest for this kind
    // release, and kind's images are built for the release that ships them, so another kind is refused.
    const fix = `Fix: install kind ${pinned.kind} from ${where.kind}`;
    const run = exec("kind", ["version"]);
    const found = /^kind (v\S+)/.exec(run.stdout.trim())?.[1];
    if (run.missing)
      report.problems.push(`kind: not found on PATH; stack ${needs.stack} creates its cluster with kind ${pinned.kind}. ${fix}`);
    else if (run.code !== 0 || !found)
      report.problems.push(
        `kind: \`kind version\` failed (${firstLine(run.stderr || run.stdout) || `exit ${run.code}`}); the pin is ${pinned.kind}. ${fix}`,
      );
    else if (!semver.eq(found, pinned.kind))
      report.problems.push(`kind: found ${found}, the pin is ${pinned.kind} (its node image kindest/node is pinned for it). ${fix}`);
    else report.ok.push(`kind ${found}`);
  }

  // Both stacks build the sample-app image with the local engine (then kind load, or push to DOCR).
  const docker = exec("docker", ["info"]);
  const dockerUse = kindCluster ? "kind's nodes and the sample-app image" : "the sample-app image build";
  if (docker.missing)
    report.problems.push(`docker: not found on PATH; a running engine runs ${dockerUse}. Fix: install Docker from ${where.docker}`);
  else if (docker.code !== 0)
    report.problems.push(
      `docker: the engine is not running (\`docker info\`: ${firstLine(docker.stderr) || `exit ${docker.code}`}); it runs ${dockerUse}. ` +
        "Fix: start Docker (Docker Desktop, or `sudo systemctl start docker`)",
    );
  else report.ok.push("docker engine running");

  // The Flux command refuses any CLI but `flux version <fluxVersion>` (components/flux.ts); the same test here.
  const flux = exec("flux", ["--version"]);
  const fluxFix = `Fix: install flux ${needs.fluxVersion} from ${where.flux} (curl -s https://fluxcd.io/install.sh | sudo FLUX_VERSION=${needs.fluxVersion} bash)`;
  if (flux.missing)
    report.problems.push(`flux: not found on PATH; stack ${needs.stack} installs Flux ${needs.fluxVersion} with it. ${fluxFix}`);
  else if (flux.stdout.trim() !== `flux version ${needs.fluxVersion}`)
    report.problems.push(
      `flux: found "${firstLine(flux.stdout || flux.stderr)}", stack ${needs.stack} needs flux version ${needs.fluxVersion} ` +
        `(kafka-on-k8s:fluxVersion; the Flux command refuses another). ${fluxFix}`,
    );
  else report.ok.push(`flux ${needs.fluxVersion}`);

  // Only people run kubectl (the dashboard command); the program talks to the API server itself. Reported only.
  const kubectl = exec("kubectl", ["version", "--client", "-o", "json"]);
  const kubectlFix = `Fix: install kubectl ${semver.major(pinned.kubernetes)}.${semver.minor(pinned.kubernetes)} from ${where.kubectl}`;
  if (kubectl.missing) report.warnings.push(`kubectl: not found on PATH; the dashboard command needs it. ${kubectlFix}`);
  else {
    const found = kubectlClientVersion(kubectl.stdout);
    // kubectl is supported within one minor version of the API server.
    const skew =
      found && semver.major(found) === semver.major(pinned.kubernetes)
        ? Math.abs(semver.minor(found) - semver.minor(pinned.kubernetes))
        : Infinity;
    if (!found) report.warnings.push(`kubectl: \`kubectl version --client\` gave no version. ${kubectlFix}`);
    else if (skew > 1)
      report.warnings.push(
        `kubectl: found ${found}, more than one minor version from Kubernetes ${pinned.kubernetes} (kubectl's supported skew). ${kubectlFix}`,
      );
    else report.ok.push(`kubectl ${found}`);
  }

  if (!kindCluster) {
    // doctl is run by the dashboard command and the exported kubeconfig's credential plugin, never by the program:
    // the stack comes up without it, so its absence is reported, not fatal.
    const doctl = exec("doctl", ["version"]);
    if (doctl.missing || doctl.code !== 0)
      report.warnings.push(
        `doctl: not found on PATH; the dashboard command and the kubeconfig output run it. Fix: install doctl from ${where.doctl}, then \`doctl auth init\``,
      );
    else report.ok.push(firstLine(doctl.stdout));
  }
  return report;
}

/** Thrown by `pulumi up` when a tool the stack runs is missing or at the wrong version. */
export class PreflightError extends Error {
  // Not `stack`: that would replace Error's own stack, which is what the engine prints.
  constructor(
    readonly stackName: string,
    readonly problems: readonly string[],
  ) {
    super(
      `Missing or wrong tools for stack ${stackName} (${problems.length} problem${problems.length === 1 ? "" : "s"}), nothing was created:\n` +
        problems.map((p) => `  - ${p}`).join("\n"),
    );
    this.name = "PreflightError";
  }
}

/**
 * What the program does with a report: a preview (CI has no Docker, kind or flux) only warns, since it
 * runs none of the tools; an update throws before declaring anything.
 */
export function preflightOutcome(stack: string, report: Report, dryRun: boolean): { warnings: string[]; error?: PreflightError } {
  if (!report.problems.length) return { warnings: report.warnings };
  const error = new PreflightError(stack, report.problems);
  if (!dryRun) return { warnings: report.warnings, error };
  return { warnings: [...report.warnings, `${error.message}\n  (a preview runs none of these; \`pulumi up\` stops here)`] };
}

/**
 * The program's check, before it declares any resource. Not under the test mocks (pulumi.runtime.setMocks):
 * there no Command runs and no tool is needed, and the mocked runs declare every resource on any machine.
 * The check itself is tested against stand-in PATHs (test/program/preflight.test.ts).
 */
export function programPreflight(needs: Needs): void {
  if (pulumi.runtime.getMonitor() instanceof MockMonitor) return;
  const outcome = preflightOutcome(needs.stack, checkTools(needs, execWith(process.env)), pulumi.runtime.isDryRun());
  for (const warning of outcome.warnings) pulumi.log.warn(warning);
  if (outcome.error) throw outcome.error;
}
