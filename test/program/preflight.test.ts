// The preflight against stand-in PATHs: a temp dir of tiny shell scripts standing for kind, docker, flux,
// kubectl, doctl and pulumi, each answering the command the check runs. Nothing from the real PATH is used.
import * as assert from "assert";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { checkTools, execWith, Needs, PreflightError, preflightOutcome } from "../../components/preflight";
import { pinned } from "../../components/config";

const sdk = (require("@pulumi/pulumi/package.json") as { version: string }).version;

/** A script printing `stdout` (and `stderr`) and exiting with `code`. */
const script = (stdout: string, code = 0, stderr = "") =>
  `#!/bin/sh\nprintf '%s\\n' '${stdout}'\n${stderr ? `printf '%s\\n' '${stderr}' >&2\n` : ""}exit ${code}\n`;

/** Every tool as it should be for the pins. */
const good: Record<string, string> = {
  kind: script(`kind ${pinned.kind} go1.25.5 linux/amd64`),
  docker: script("Server Version: 29.1.0"),
  flux: script(`flux version ${pinned.flux}`),
  kubectl: script(`{"clientVersion":{"gitVersion":"v${pinned.kubernetes}"}}`),
  doctl: script("doctl version 1.150.0-release"),
  pulumi: script(`v${sdk}`),
};

const dev: Needs = { stack: "dev", clusterKind: "kind", fluxVersion: pinned.flux };
const doks: Needs = { stack: "do", clusterKind: "doks", fluxVersion: pinned.flux };

describe("preflight: the tools a stack runs, against stand-in PATHs", () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), "preflight-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Puts `tools` (name → script; undefined leaves it out) on a PATH of only a new directory and checks. */
  const check = (needs: Needs, tools: Record<string, string | undefined>, node = "v20.20.2") => {
    const bin = mkdtempSync(join(dir, "bin-"));
    for (const [name, text] of Object.entries(tools)) {
      if (text === undefined) continue;
      writeFileSync(join(bin, name), text);
      chmodSync(join(bin, name), 0o755);
    }
    return checkTools(needs, execWith({ PATH: bin }), node);
  };

  it("passes with every tool at its pin, naming each", () => {
    const report = check({ ...dev, pulumiCli: true }, good);
    assert.deepEqual(report.problems, []);
    assert.deepEqual(report.warnings, []);
    assert.deepEqual(report.ok, [
      "node v20.20.2 (package.json engines >=20)",
      `pulumi ${sdk}`,
      `kind ${pinned.kind}`,
      "docker engine running",
      `flux ${pinned.flux}`,
      `kubectl ${pinned.kubernetes}`,
    ]);
  });

  it("a missing kind: named with its pin and where to get it", () => {
    const report = check(dev, { ...good, kind: undefined });
    assert.deepEqual(report.problems, [
      `kind: not found on PATH; stack dev creates its cluster with kind ${pinned.kind}. ` +
        `Fix: install kind ${pinned.kind} from https://kind.sigs.k8s.io/docs/user/quick-start/#installation`,
    ]);
  });

  it("a kind of another version", () => {
    const report = check(dev, { ...good, kind: script("kind v0.30.0 go1.24.0 linux/amd64") });
    assert.deepEqual(report.problems, [
      `kind: found v0.30.0, the pin is ${pinned.kind} (its node image kindest/node is pinned for it). ` +
        `Fix: install kind ${pinned.kind} from https://kind.sigs.k8s.io/docs/user/quick-start/#installation`,
    ]);
  });

  it("Docker installed but its engine not running", () => {
    const stopped = script(
      "Client:",
      1,
      "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?",
    );
    const report = check(dev, { ...good, docker: stopped });
    assert.deepEqual(report.problems, [
      "docker: the engine is not running (`docker info`: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. " +
        "Is the docker daemon running?); it runs kind's nodes and the sample-app image. Fix: start Docker (Docker Desktop, or `sudo systemctl start docker`)",
    ]);
  });

  it("a Docker engine that never answers: reported, not waited for", () => {
    const bin = mkdtempSync(join(dir, "bin-"));
    writeFileSync(join(bin, "docker"), "#!/bin/sh\nexec sleep 5\n");
    chmodSync(join(bin, "docker"), 0o755);
    const report = checkTools(dev, execWith({ PATH: `${bin}:/bin:/usr/bin` }, 500));
    assert.equal(
      report.problems.find((p) => p.startsWith("docker")),
      "docker: the engine is not running (`docker info`: no answer within 0.5 s); it runs kind's nodes and the sample-app image. " +
        "Fix: start Docker (Docker Desktop, or `sudo systemctl start docker`)",
    );
  });

  it("a flux CLI of another version than the stack's fluxVersion, as the Flux command would refuse it", () => {
    const report = check(dev, { ...good, flux: script("flux version 2.9.4") });
    assert.deepEqual(report.problems, [
      `flux: found "flux version 2.9.4", stack dev needs flux version ${pinned.flux} (kafka-on-k8s:fluxVersion; the Flux command refuses another). ` +
        `Fix: install flux ${pinned.flux} from https://fluxcd.io/flux/installation/#install-the-flux-cli ` +
        `(curl -s https://fluxcd.io/install.sh | sudo FLUX_VERSION=${pinned.flux} bash)`,
    ]);
    // The stack's own fluxVersion is the one checked (the convergence run upgrades from an older one).
    assert.deepEqual(check({ ...dev, fluxVersion: "2.9.4" }, { ...good, flux: script("flux version 2.9.4") }).problems, []);
  });

  it("every problem at once, an old Node too; nothing on PATH at all", () => {
    const report = check({ ...dev, pulumiCli: true }, {}, "v18.19.0");
    assert.deepEqual(
      report.problems.map((p) => p.split(":")[0]),
      ["node", "pulumi", "kind", "docker", "flux"],
    );
    assert.equal(
      report.problems[0],
      "node: found v18.19.0, package.json engines needs >=20. Fix: install Node.js >=20 from https://nodejs.org/en/download",
    );
    assert.equal(
      report.problems[1],
      `pulumi: not found on PATH; the pin is ${sdk}. Fix: install the Pulumi CLI ${sdk} from https://www.pulumi.com/docs/iac/download-install/`,
    );
    // kubectl only serves the dashboard command: reported, not a problem.
    assert.deepEqual(report.warnings, [
      `kubectl: not found on PATH; the dashboard command needs it. Fix: install kubectl 1.35 from https://kubernetes.io/docs/tasks/tools/`,
    ]);
  });

  it("do: no kind, but Docker (the image build) and flux; a missing doctl is a warning only", () => {
    const report = check(doks, { ...good, kind: undefined, doctl: undefined });
    assert.deepEqual(report.problems, []);
    assert.deepEqual(report.warnings, [
      "doctl: not found on PATH; the dashboard command and the kubeconfig output run it. " +
        "Fix: install doctl from https://docs.digitalocean.com/reference/doctl/how-to/install/, then `doctl auth init`",
    ]);
    assert.deepEqual(check(doks, { ...good, docker: undefined }).problems, [
      "docker: not found on PATH; a running engine runs the sample-app image build. Fix: install Docker from https://docs.docker.com/engine/install/",
    ]);
  });

  it("a kubectl more than one minor version from the cluster's Kubernetes is a warning", () => {
    const report = check(dev, { ...good, kubectl: script('{"clientVersion":{"gitVersion":"v1.32.4"}}') });
    assert.deepEqual(report.problems, []);
    assert.deepEqual(report.warnings, [
      `kubectl: found 1.32.4, more than one minor version from Kubernetes ${pinned.kubernetes} (kubectl's supported skew). ` +
        "Fix: install kubectl 1.35 from https://kubernetes.io/docs/tasks/tools/",
    ]);
  });
});

describe("preflight: what the program does with the report", () => {
  const report = { ok: [], problems: ["kind: not found on PATH; ..."], warnings: ["kubectl: ..."] };

  it("pulumi up: throws, naming every problem, before anything is declared", () => {
    const outcome = preflightOutcome("dev", report, false);
    assert.ok(outcome.error instanceof PreflightError);
    assert.equal(
      outcome.error.message,
      "Missing or wrong tools for stack dev (1 problem), nothing was created:\n  - kind: not found on PATH; ...",
    );
    assert.deepEqual(outcome.warnings, ["kubectl: ..."]);
    // What the engine prints for an unhandled exception.
    assert.match(outcome.error.stack ?? "", /^PreflightError: Missing or wrong tools for stack dev \(1 problem\)/);
  });

  it("pulumi preview (CI has no Docker): the same problems as warnings, no error", () => {
    const outcome = preflightOutcome("dev", report, true);
    assert.equal(outcome.error, undefined);
    assert.deepEqual(outcome.warnings, [
      "kubectl: ...",
      "Missing or wrong tools for stack dev (1 problem), nothing was created:\n  - kind: not found on PATH; ...\n" +
        "  (a preview runs none of these; `pulumi up` stops here)",
    ]);
  });
});
