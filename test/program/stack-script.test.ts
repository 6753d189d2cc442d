// npm run up / down / doctor (scripts/stack.ts) with a stand-in `pulumi` on PATH that records its argv
// and the backend it was given, beside stand-ins for the tools the preflight checks. No real pulumi runs.
import * as assert from "assert";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { pinned } from "../../components/config";
import { localBackendDir, main } from "../../scripts/stack";

const sdk = (require("@pulumi/pulumi/package.json") as { version: string }).version;
const dashboard = "kubectl --context kind-kafka-dev -n kafka port-forward svc/sample-app 8080:8080";

const tools: Record<string, string> = {
  kind: `#!/bin/sh\necho "kind ${pinned.kind} go1.25.5 linux/amd64"\n`,
  docker: "#!/bin/sh\necho 'Server Version: 29.1.0'\n",
  flux: `#!/bin/sh\necho "flux version ${pinned.flux}"\n`,
  kubectl: `#!/bin/sh\necho '{"clientVersion":{"gitVersion":"v${pinned.kubernetes}"}}'\n`,
  // One line per call: the backend it was given, then its arguments.
  pulumi:
    '#!/bin/sh\nprintf \'%s|%s\\n\' "$PULUMI_BACKEND_URL" "$*" >> "$PULUMI_ARGV_LOG"\n' +
    `case "$1 $2" in\n  "version "*) echo v${sdk} ;;\n  "stack output") echo '${dashboard}' ;;\nesac\n`,
};

describe("npm run up / down / doctor (scripts/stack.ts)", () => {
  let dir: string;
  let bin: string;
  let out: { log: string[]; error: string[] };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "stack-script-"));
    bin = join(dir, "bin");
    writeFileSync(join(dir, "argv"), "");
    mkdirSync(bin);
    for (const [name, text] of Object.entries(tools)) {
      writeFileSync(join(bin, name), text);
      chmodSync(join(bin, name), 0o755);
    }
    out = { log: [], error: [] };
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const run = (argv: string[], env: Record<string, string> = {}) =>
    main(
      argv,
      { PATH: bin, HOME: dir, PULUMI_ARGV_LOG: join(dir, "argv"), ...env },
      { log: (l) => out.log.push(l), error: (l) => out.error.push(l) },
    );
  const calls = () =>
    readFileSync(join(dir, "argv"), "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => l.split("|"));

  it("refuses an unknown stack with the allowed values, and no stack at all, before running pulumi", () => {
    assert.equal(run(["up", "prod"]), 2);
    assert.deepEqual(out.error, ['unknown stack "prod": allowed: dev, do (one per Pulumi.<stack>.yaml)']);
    assert.equal(run(["down"]), 2);
    assert.equal(
      out.error[1],
      "usage: npm run up -- <stack> | npm run down -- <stack> | npm run doctor [-- <stack>]; <stack> is one of: dev, do",
    );
    assert.equal(run(["up", "dev", "extra"]), 2);
    assert.deepEqual(calls(), []);
  });

  it("up: a local file backend by default, stack select --create, up with the policy pack and the stack's config, the dashboard printed", () => {
    assert.equal(run(["up", "dev"]), 0);
    const backend = `file://${localBackendDir(dir)}`;
    assert.ok(existsSync(localBackendDir(dir)), "the backend folder is created");
    assert.deepEqual(calls(), [
      ["", "version"], // the preflight's, before the backend is chosen
      [backend, "stack select --create dev"],
      [backend, "up --stack dev --yes --policy-pack policy --policy-pack-config policy/config/dev.json"],
      [backend, "stack output dashboardCommand --stack dev"],
    ]);
    assert.equal(out.log.at(-1), `\nDashboard: ${dashboard}`);
    // The state's secrets are encrypted with a random passphrase of the user's own, kept across runs.
    const passphrase = join(localBackendDir(dir), "passphrase");
    assert.equal(statSync(passphrase).mode & 0o777, 0o600);
    const first = readFileSync(passphrase, "utf8");
    assert.ok(first.length >= 40, "passphrase too short");
    assert.equal(run(["up", "dev"]), 0);
    assert.equal(readFileSync(passphrase, "utf8"), first, "a second up made a new passphrase");
  });

  it("down: destroy, on the backend the user set", () => {
    assert.equal(run(["down", "do"], { PULUMI_BACKEND_URL: "s3://bucket/state" }), 0);
    assert.deepEqual(calls(), [["s3://bucket/state", "destroy --stack do --yes"]]);
  });

  it("up without kind: stops before pulumi selects or creates anything, naming kind, its pin and where to get it", () => {
    rmSync(join(bin, "kind"));
    assert.equal(run(["up", "dev"]), 1);
    assert.deepEqual(
      calls().map(([, argv]) => argv),
      ["version"],
    );
    assert.deepEqual(out.error, [
      `  PROBLEM  kind: not found on PATH; stack dev creates its cluster with kind ${pinned.kind}. ` +
        `Fix: install kind ${pinned.kind} from https://kind.sigs.k8s.io/docs/user/quick-start/#installation`,
      "1 problem: fix it first.",
    ]);
  });

  it("doctor: dev by default, exit 0 when every tool is right", () => {
    assert.equal(run(["doctor"]), 0);
    assert.equal(out.log[0], `Tools for stack dev (clusterKind kind, flux ${pinned.flux}):`);
    assert.deepEqual(out.error, []);
  });
});
