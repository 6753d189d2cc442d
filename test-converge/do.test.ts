// The convergence run of the `do` stack: the real Pulumi engine and `digitalocean` provider run `pulumi up`
// against the local DigitalOcean API stand-in (test/support/do-api.ts), whose DOKS clusters are the local
// control plane with KWOK nodes (test/converge/doks.ts) plus the controller stand-in, which installs the
// HelmReleases' charts (Strimzi, KEDA, kube-prometheus-stack) with real Helm. The docker test double records
// the build's platform and the login each push used. One up must converge; a second run is a no-op; 3 → 5
// brokers grows the node pool and replaces nothing; destroy deletes the cluster's volumes only when the stack
// asks for it; the account's API token reaches only the DigitalOcean provider.
// The engine: $PULUMI_ENGINE_DIR (CI: ../shared/engine, see its README) or a `pulumi` on PATH.
import { strict as assert } from "assert";
import { createHash } from "crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "fs";
import { tmpdir, userInfo } from "os";
import { dirname, join } from "path";
import { stringify } from "yaml";
import { accountTokenUser, startDoksBackend } from "../test/converge/doks";
import { rollouts, Session, tailOf } from "../test/converge/session";
import { buildControlPlaneTools, kubectlPath } from "../test/support/apiserver";
import { chartDirectory, chartDirVariable } from "../test/support/charts";
import { DoApiStandIn, startDoApi } from "../test/support/do-api";
import { EngineProject, engineEnv, engineProject } from "../test/support/engine";
import { root } from "../test/support/program";
import { runCaptured } from "../test/support/run";
import { ENV } from "../sample-app/src/contract";

const doubles = join(root, "test", "converge", "doubles");
const stack = "do";
/** A made-up account token: what must reach the DigitalOcean provider and nothing else. */
const accountToken = `dop_v1_${createHash("sha256").update(`converge-${process.pid}-${Date.now()}`).digest("hex")}`;

describe("convergence: the real Pulumi engine drives the do stack on a local DigitalOcean API", function () {
  let work = "";
  let project: EngineProject | undefined;
  let doApi: DoApiStandIn | undefined;
  let session: Session;
  let state = "";

  before(async function () {
    const engine = await engineEnv();
    if ("skip" in engine) {
      console.log(`    skipping the do convergence run: ${engine.skip}`);
      this.skip();
    }
    // Cold: the control plane's tools and flux build from Go modules, one after another (many minutes).
    this.timeout(90 * 60_000);
    const tools = await buildControlPlaneTools();
    work = mkdtempSync(join(tmpdir(), "kafka-on-k8s-converge-do-"));
    session = new Session(work, () => project!, stack);
    session.timings.push(`tools: ${tools.reused ? "reused" : "built"} in ${tools.seconds} s`);
    state = join(work, "doubles");
    const standInLog = join(work, "do-api.log");
    const log = (line: string) => writeFileSync(standInLog, `${new Date().toISOString()} ${line}\n`, { flag: "a" });
    doApi = await startDoApi({
      token: accountToken,
      log,
      startCluster: ({ id, region, pools }) => startDoksBackend(pools, region, accountToken, join(work, `audit-${id}.log`), log),
    });
    project = await engineProject(
      {
        ...engine.env,
        // The docker double and the real flux CLI come first on PATH.
        PATH: [doubles, dirname(tools.flux), engine.env.PATH].join(":"),
        CONVERGE_DOUBLES_STATE: state,
        [chartDirVariable]: chartDirectory(),
        DIGITALOCEAN_API_URL: doApi.url,
        // No ambient cluster or Docker login: everything must go through what the stack itself holds.
        KUBECONFIG: join(work, "no-such-kubeconfig"),
        DOCKER_CONFIG: join(work, "no-such-docker-config"),
        // The program writes the cluster credential under the temp dir: this run's own.
        TMPDIR: work,
      },
      [stack],
    );
    await project.setConfig(stack, "digitalocean:token", accountToken, true);
  });

  let failed = false;
  afterEach(function () {
    failed ||= this.currentTest?.state === "failed";
  });

  after(async function () {
    if (session?.timings.length) console.log(`    timings: ${session.timings.join("; ")}`);
    if (failed && work) {
      writeFileSync(
        join(work, "commands.log"),
        `\n--- DigitalOcean API stand-in\n${existsSync(join(work, "do-api.log")) ? readFileSync(join(work, "do-api.log"), "utf8") : ""}`,
        { flag: "a" },
      );
      console.log(`    full output of every command: ${session.keepLog("kafka-on-k8s-converge-do")}`);
    }
    await doApi?.close();
    project?.dispose();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** The one cluster the API runs now. */
  const liveCluster = () => {
    const running = [...doApi!.clusters.entries()].filter(([, c]) => c.state === "running");
    assert.equal(running.length, 1, `running clusters: ${running.map(([id]) => id).join(", ")}`);
    const [id, cluster] = running[0];
    return { id, ...cluster };
  };
  /** kubectl as a person with the cluster's own short-lived credential (minted directly: no API request recorded). */
  const kubectl = async (...args: string[]): Promise<string> => {
    const { backend } = liveCluster();
    const file = join(work, "kubeconfig");
    const token = await backend!.mintToken(600);
    writeFileSync(
      file,
      stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [
          { name: "c", cluster: { server: backend!.endpoint, "certificate-authority-data": Buffer.from(backend!.ca).toString("base64") } },
        ],
        users: [{ name: "u", user: { token } }],
        contexts: [{ name: "c", context: { cluster: "c", user: "u" } }],
        "current-context": "c",
      }),
      { mode: 0o600 },
    );
    const run = await runCaptured(kubectlPath, ["--kubeconfig", file, ...args]);
    assert.equal(run.code, 0, `kubectl ${args.join(" ")}: ${run.stderr}`);
    return run.stdout;
  };
  const getJson = async (...args: string[]) => JSON.parse(await kubectl("get", ...args, "-o", "json"));
  const requests = () => doApi!.requests.map((r) => `${r.method} ${r.url.split("?")[0]} ${r.status}`);

  it("`pulumi up` converges in one run against the DigitalOcean API stand-in", async function () {
    const up = await session.pulumi(["up", "--yes"]);
    assert.equal(up.code, 0, `pulumi up failed: ${tailOf(up)}\nDO API requests:\n${requests().join("\n")}`);
    const { name } = liveCluster();
    assert.equal(name, "kafka-do");
    const unknown = doApi!.requests.filter((r) => r.status === 404 && !/\/v2\/registry$/.test(r.url));
    assert.deepEqual(unknown, [], "requests the stand-in does not serve");
  });

  it("the node pool's nodes carry DOKS's size, region and pool labels, one per node", async function () {
    const nodes = (await getJson("nodes")).items as any[];
    assert.equal(nodes.length, 3);
    for (const n of nodes) {
      assert.equal(n.metadata.labels["node.kubernetes.io/instance-type"], "s-4vcpu-8gb");
      assert.equal(n.metadata.labels["topology.kubernetes.io/region"], "ams3");
      assert.equal(n.metadata.labels["doks.digitalocean.com/node-pool"], "kafka-do-pool");
    }
  });

  it("every Deployment is rolled out; each HelmRelease is Ready from Helm's result; the PodMonitors exist", async function () {
    const all = rollouts(await getJson("deployments", "--all-namespaces"));
    for (const expected of [
      "flux-system/helm-controller",
      "strimzi-system/strimzi-cluster-operator",
      "keda/keda-operator",
      "monitoring/kube-prometheus-stack-operator",
      "kafka/sample-app-producer",
      "kafka/sample-app-consumer",
    ])
      assert.ok(
        all.some((d) => d.name === expected),
        `${expected} missing; found ${all.map((d) => d.name).join(", ")}`,
      );
    assert.deepEqual(
      all.filter((d) => !d.rolledOut).map((d) => d.name),
      [],
      "Deployments not rolled out",
    );
    const releases = (await getJson("helmreleases.helm.toolkit.fluxcd.io", "-n", "flux-system")).items as any[];
    assert.deepEqual(
      releases.map((r) => `${r.metadata.name}: ${r.status.conditions.find((c: any) => c.type === "Ready").status}`).sort(),
      releases.map((r) => `${r.metadata.name}: True`).sort(),
    );
    assert.equal(releases.length, 3, releases.map((r) => r.metadata.name).join(", "));
    const monitors = (await getJson("podmonitors.monitoring.coreos.com", "--all-namespaces")).items as any[];
    assert.ok(monitors.length >= 3, `PodMonitors: ${monitors.map((m) => m.metadata.name).join(", ")}`);
  });

  it("the TLS listener's CA and the SCRAM user's secret exist, as the app reads them", async function () {
    const app = (await getJson("deployment", "sample-app-producer", "-n", "kafka")).spec.template.spec;
    const env = app.containers[0].env as any[];
    const password = env.find((e) => e.name === ENV.saslPassword)?.valueFrom?.secretKeyRef;
    assert.ok(password, `${ENV.saslPassword} does not come from a Secret`);
    const user = await getJson("secret", password.name, "-n", "kafka");
    assert.ok(user.data[password.key], `the user Secret has no ${password.key}`);
    assert.ok(user.data["sasl.jaas.config"]);
    const ca = (app.volumes as any[]).find((v) => v.name === "kafka-ca");
    assert.ok(ca, "the app mounts no Kafka CA");
    assert.ok((await getJson("secret", ca.secret.secretName, "-n", "kafka")).data["ca.crt"]);
  });

  it("the image is built for the nodes' platform and pushed to the registry", function () {
    const builds = readFileSync(join(state, "docker-builds"), "utf8");
    assert.match(builds, /^registry\.digitalocean\.com\/kafka-on-k8s\/kafka-sample-app:[0-9a-f]{16} linux\/amd64$/m);
    const pushed = readFileSync(join(state, "docker-pushed"), "utf8");
    assert.match(pushed, /^registry\.digitalocean\.com\/kafka-on-k8s\/kafka-sample-app:[0-9a-f]{16} [0-9a-f]{64}$/m);
  });

  const exported = async (showSecrets: boolean) => {
    const run = await session.exec("pulumi", ["stack", "export", "--stack", stack, ...(showSecrets ? ["--show-secrets"] : [])]);
    assert.equal(run.code, 0, tailOf(run));
    return run.stdout;
  };

  it("the state holds no token or password in plain text", async function () {
    const plain = await exported(false);
    assert.ok(plain.length > 1000, "the export holds no resources");
    assert.ok(!plain.includes(accountToken), "the account token is in the state in plain text");
    assert.doesNotMatch(plain, /PRIVATE KEY|client-key-data|"(token|password)":\s*"[^"]/i);
    assert.doesNotMatch(plain, /token: [A-Za-z0-9_.-]{20,}/, "a kubeconfig token is in the state in plain text");
  });

  it("the account token reaches only the DigitalOcean provider: not the cluster, the flux CLI or the registry push", async function () {
    // Decrypted: which resources hold the account token at all.
    const deployment = JSON.parse(await exported(true)).deployment;
    const holders = (deployment.resources as any[]).filter((r) => JSON.stringify(r).includes(accountToken)).map((r) => r.type);
    assert.deepEqual([...new Set(holders)], ["pulumi:providers:digitalocean"], "resources holding the account token");
    // The API server's audit log: nobody called the cluster with the account token.
    const { id } = liveCluster();
    const users = new Set(
      readFileSync(join(work, `audit-${id}.log`), "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l).user.username as string),
    );
    assert.ok(!users.has(accountTokenUser), `the account token was used against the cluster; users: ${[...users].join(", ")}`);
    // The kubeconfig the provider and flux read: private, with the cluster's credential, no account token.
    const file = join(work, `kafka-on-k8s-${userInfo().uid}`, "kafka-on-k8s-do.kubeconfig");
    assert.equal(statSync(file).mode & 0o077, 0, `${file} is readable by others`);
    assert.ok(!readFileSync(file, "utf8").includes(accountToken), "the account token is in the provider's kubeconfig");
    // The provider and flux used the cluster's own credential, fetched on this run for an hour at most.
    assert.ok(users.has("system:serviceaccount:kube-system:doks-credentials"), `users: ${[...users].join(", ")}`);
    const fetched = doApi!.requests.filter((r) => r.url.startsWith(`/v2/kubernetes/clusters/${id}/credentials`)).map((r) => r.url);
    assert.ok(fetched.length > 0, "the cluster's credentials were never fetched");
    for (const url of fetched) assert.ok(Number(new URL(url, doApi!.url).searchParams.get("expiry_seconds")) <= 3600, url);
    // The push logged in with a credential the registry's docker-credentials handed out.
    const logins = readFileSync(join(state, "docker-pushed"), "utf8")
      .trim()
      .split("\n")
      .map((l) => l.split(" ")[1]);
    assert.ok(logins.length > 0);
    for (const login of logins) assert.ok(doApi!.registryLogins.has(login), "the image was pushed with a login the registry did not issue");
  });

  it("a second run is a no-op (`pulumi preview --expect-no-changes`)", async function () {
    const preview = await session.pulumi(["preview", "--expect-no-changes"]);
    assert.equal(preview.code, 0, `preview found changes: ${tailOf(preview, 60)}`);
  });

  it("3 → 5 brokers grows the node pool to 5 nodes and replaces nothing", async function () {
    await project!.setConfig(stack, "kafka-on-k8s:brokerReplicas", "5");
    await project!.setConfig(stack, "kafka-on-k8s:doNodeCount", "5");
    const { id } = liveCluster();
    const up = await project!.pulumi(["up", "--yes", "--json", "--stack", stack]);
    session.timings.push(`pulumi up (grow): ${Math.round(up.seconds)} s`);
    assert.equal(up.code, 0, `pulumi up failed: ${up.diagnostics.join("\n")}\n${up.stderr.slice(-3000)}`);
    const changed = up.steps.filter((s) => s.op !== "same").map((s) => `${s.op} ${s.urn.split("::").pop()}`);
    assert.deepEqual(
      changed.filter((c) => /^(replace|create-replacement|delete-replaced|delete)/.test(c)),
      [],
      `steps: ${changed.join(", ")}`,
    );
    assert.equal(liveCluster().id, id, "the cluster was replaced");
    // What the provider asked of the API: the autoscaled pool's bounds (its count is the autoscaler's and an
    // ignored diff); DOKS's autoscaler, here the stand-in, then brings the pool up to its new minimum.
    const poolUpdates = doApi!.requests
      .filter((r) => r.method === "PUT" && r.url.startsWith(`/v2/kubernetes/clusters/${id}/node_pools/`))
      .map((r) => r.body as Record<string, unknown>);
    assert.deepEqual(
      poolUpdates.map((b) => [b.min_nodes, b.max_nodes]),
      [[5, 5]],
      JSON.stringify(poolUpdates),
    );
    assert.equal((await getJson("nodes")).items.length, 5);
    const brokers = (await getJson("kafkanodepools.kafka.strimzi.io", "-n", "kafka")).items.find((p: any) =>
      p.spec.roles.includes("broker"),
    );
    assert.equal(brokers.spec.replicas, 5);
  });

  const volumesOf = (clusterId: string) => [...doApi!.volumes.values()].filter((v) => v.tags.includes(`k8s:${clusterId}`));
  /** The claims are made once the Kafka node pools are Ready; the CSI stand-in turns them into volumes every 2 s. */
  const waitForVolumes = async (clusterId: string, count: number) => {
    for (let i = 0; i < 30 && volumesOf(clusterId).length < count; i++) await new Promise((r) => setTimeout(r, 500));
    assert.equal(volumesOf(clusterId).length, count, `one volume per controller and broker (${count})`);
  };
  const destroyRequests = (clusterId: string) =>
    doApi!.requests.filter((r) => r.method === "DELETE" && r.url.startsWith(`/v2/kubernetes/clusters/${clusterId}`)).map((r) => r.url);

  it("`pulumi destroy` leaves the volumes when the stack does not ask to delete them", async function () {
    const { id } = liveCluster();
    await waitForVolumes(id, 8);
    const destroy = await session.pulumi(["destroy", "--yes", "--run-program"]);
    assert.equal(destroy.code, 0, `pulumi destroy failed: ${tailOf(destroy)}`);
    assert.deepEqual(destroyRequests(id), [`/v2/kubernetes/clusters/${id}`]);
    assert.equal(volumesOf(id).length, 8, "the volumes were deleted");
    assert.equal([...doApi!.clusters.values()].filter((c) => c.state === "running").length, 0);
  });

  it("with deleteVolumesOnDestroy, `pulumi destroy` deletes the cluster's volumes", async function () {
    await project!.setConfig(stack, "kafka-on-k8s:deleteVolumesOnDestroy", "true");
    const up = await session.pulumi(["up", "--yes", "--skip-preview"]);
    assert.equal(up.code, 0, `pulumi up failed: ${tailOf(up)}`);
    const { id } = liveCluster();
    await waitForVolumes(id, 8);
    const destroy = await session.pulumi(["destroy", "--yes", "--run-program"]);
    assert.equal(destroy.code, 0, `pulumi destroy failed: ${tailOf(destroy)}`);
    assert.deepEqual(destroyRequests(id), [`/v2/kubernetes/clusters/${id}/destroy_with_associated_resources/dangerous`]);
    assert.deepEqual(volumesOf(id), [], "volumes left");
    const resources = JSON.parse(await exported(false)).deployment.resources ?? [];
    assert.deepEqual(resources, [], "the stack still holds resources");
  });
});
