// The convergence run: the real Pulumi engine runs `pulumi up` of the dev stack against the real local
// control plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok fake nodes) that
// the kind test double starts, with the real flux CLI, a docker test double and the controller
// stand-in (test/converge/), which installs the charts the HelmReleases name with real Helm. One up must converge; a second run is a no-op; a new node layout
// replaces the cluster and everything on it; destroy leaves nothing, even when the cluster is gone.
// The engine: $PULUMI_ENGINE_DIR (CI: ../shared/engine, see its README) or a `pulumi` on PATH.
import { strict as assert } from "assert";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { dirname, join } from "path";
import { parse, stringify } from "yaml";
import { pinned } from "../components/config/pinned";
import { buildControlPlaneTools, kubectlPath, toolVersions as versions } from "../test/support/apiserver";
import { chartDirectory, chartDirVariable } from "../test/support/charts";
import { EngineProject, engineEnv, engineProject } from "../test/support/engine";
import { root } from "../test/support/program";
import { rollouts, Session, tailOf } from "../test/converge/session";

const doubles = join(root, "test", "converge", "doubles");
const clusterName = "kafka-dev";

describe("convergence: the real Pulumi engine drives the dev stack on a local control plane", function () {
  let work = "";
  let project: EngineProject | undefined;
  /** PATH with the previous flux CLI in place of the pinned one (the upgrade scenario). */
  let previousFluxPath = "";
  let state = "";
  let session: Session | undefined;
  const exec = (command: string, args: readonly string[]) => session!.exec(command, args);
  const pulumi = (...args: string[]) => session!.pulumi(args);
  const kind = (...args: string[]) => exec(join(doubles, "kind"), args);

  /** kubectl against the cluster `kind` reports now. */
  const kubectl = async (...args: string[]): Promise<string> => {
    const kubeconfig = await kind("get", "kubeconfig", "--name", clusterName);
    assert.equal(kubeconfig.code, 0, `kind get kubeconfig: ${kubeconfig.stderr}`);
    const file = join(work, "kubeconfig");
    writeFileSync(file, kubeconfig.stdout, { mode: 0o600 });
    const run = await exec(kubectlPath, ["--kubeconfig", file, ...args]);
    assert.equal(run.code, 0, `kubectl ${args.join(" ")}: ${run.stderr}`);
    return run.stdout;
  };
  const serverOf = (kubeconfig: string): string => parse(kubeconfig).clusters[0].cluster.server;
  const liveCluster = async (): Promise<string> => serverOf((await kind("get", "kubeconfig", "--name", clusterName)).stdout);

  /** Every cluster process the kind double started: the pid files under state/kind. */
  const clusterPids = (): number[] => {
    const dir = join(state, "kind");
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .map((n) => join(dir, n, "pid"))
      .filter(existsSync)
      .map((f) => Number(readFileSync(f, "utf8")));
  };
  const alive = (pid: number): boolean => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  // Synchronous, so it also runs from an exit handler: a failed or interrupted run leaves no control plane.
  const killClusters = () => {
    for (const pid of clusterPids().filter(alive)) process.kill(pid, "SIGTERM");
  };
  const onSignal = (signal: NodeJS.Signals) => {
    killClusters();
    process.exit(signal === "SIGINT" ? 130 : 143);
  };

  before(async function () {
    const engine = await engineEnv();
    if ("skip" in engine) {
      console.log(`    skipping the convergence run: ${engine.skip}`);
      this.skip();
    }
    // Cold: the control plane's tools and flux build from Go modules, one after another (many minutes).
    this.timeout(90 * 60_000);
    const tools = await buildControlPlaneTools();
    process.on("exit", killClusters);
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);

    work = mkdtempSync(join(tmpdir(), "kafka-on-k8s-converge-"));
    session = new Session(work, () => project!, "dev");
    session.timings.push(`tools: ${tools.reused ? "reused" : "built"} in ${tools.seconds} s`);
    state = join(work, "doubles");
    // engineProject runs the program from a throwaway project, so `config set` never edits the repository.
    project = await engineProject(
      {
        ...engine.env,
        // The doubles (kind, docker) and the real flux CLI come first on PATH.
        PATH: [doubles, dirname(tools.flux), engine.env.PATH].join(":"),
        CONVERGE_DOUBLES_STATE: state,
        CONVERGE_DOUBLES_OWNER: String(process.pid),
        // The stand-in installs the operators' charts (and so their CRDs) from here with real Helm.
        [chartDirVariable]: chartDirectory(),
        // No ambient cluster: everything must go through the stack's own kubeconfig.
        KUBECONFIG: join(work, "no-such-kubeconfig"),
      },
      ["dev"],
    );
    previousFluxPath = [doubles, dirname(tools.fluxPrevious), engine.env.PATH].join(":");
  });

  let failed = false;
  afterEach(function () {
    failed ||= this.currentTest?.state === "failed";
  });

  after(async function () {
    if (session?.timings.length) console.log(`    timings: ${session.timings.join("; ")}`);
    // The only thing kept: every command's full output, for the post-mortem.
    if (failed && session) console.log(`    full output of every command: ${session.keepLog("kafka-on-k8s-converge")}`);
    killClusters();
    project?.dispose();
    if (work) rmSync(work, { recursive: true, force: true });
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    process.off("exit", killClusters);
  });

  let firstServer = "";

  it("`pulumi up` converges in one run (the image is loaded only once the cluster exists)", async function () {
    const up = await pulumi("up", "--yes");
    assert.equal(up.code, 0, `pulumi up failed: ${tailOf(up)}`);
    firstServer = await liveCluster();
    const loaded = readFileSync(join(state, "kind", clusterName, "images"), "utf8");
    assert.match(loaded, /^kafka-sample-app:[0-9a-f]{16}$/m, "the sample-app image was not loaded onto the cluster");
  });

  /** Every Deployment on the live cluster, and whether each has rolled out (all replicas updated and available). */
  const deployments = async () => rollouts(JSON.parse(await kubectl("get", "deployments", "--all-namespaces", "-o", "json")));
  const expectedDeployments = [
    "flux-system/source-controller",
    "flux-system/kustomize-controller",
    "flux-system/helm-controller",
    "flux-system/notification-controller",
    // Installed by Helm from the real charts, past the namespaces' Pod Security levels.
    "strimzi-system/strimzi-cluster-operator",
    "keda/keda-operator",
    "keda/keda-operator-metrics-apiserver",
    "keda/keda-admission-webhooks",
    "kafka/sample-app-producer",
    "kafka/sample-app-consumer",
  ];
  const assertRolledOut = async () => {
    const all = await deployments();
    assert.deepEqual(
      expectedDeployments.filter((n) => !all.some((d) => d.name === n)),
      [],
      `missing Deployments; found ${all.map((d) => d.name).join(", ")}`,
    );
    assert.deepEqual(
      all.filter((d) => !d.rolledOut).map((d) => d.name),
      [],
      "Deployments not rolled out",
    );
  };

  it("every Deployment is rolled out on the cluster", assertRolledOut);

  it("each HelmRelease is Ready from Helm's result, and the operators' CRDs are their charts'", async function () {
    const releases = JSON.parse(await kubectl("get", "helmreleases.helm.toolkit.fluxcd.io", "-n", "flux-system", "-o", "json"))
      .items as any[];
    const readiness = releases.map((r) => {
      const ready = r.status.conditions.find((c: any) => c.type === "Ready");
      return `${r.metadata.name}: ${ready.status} ${ready.reason}`;
    });
    assert.deepEqual(readiness.sort(), ["keda: True InstallSucceeded", "strimzi-operator: True InstallSucceeded"]);
    // Helm's own record of each release, in its target namespace.
    for (const [namespace, release] of [
      ["strimzi-system", "strimzi-operator"],
      ["keda", "keda"],
    ]) {
      const secrets = JSON.parse(
        await kubectl("get", "secrets", "-n", namespace, "-l", `owner=helm,name=${release},status=deployed`, "-o", "json"),
      );
      assert.equal(secrets.items.length, 1, `no deployed Helm release ${namespace}/${release}`);
    }
    // The Strimzi chart brings CRDs that ../shared/crds does not hold: these came from the chart.
    const crds = JSON.parse(await kubectl("get", "customresourcedefinitions", "-o", "json")).items.map((c: any) => c.metadata.name);
    for (const crd of ["kafkaconnects.kafka.strimzi.io", "strimzipodsets.core.strimzi.io", "scaledjobs.keda.sh"])
      assert.ok(crds.includes(crd), `${crd} missing`);
  });

  it("a release Helm refuses is Ready=False with Helm's message, and deleting it uninstalls it", async function () {
    // A second Strimzi release: the first owns the chart's cluster-wide objects, so Helm refuses it.
    const broken = {
      apiVersion: "helm.toolkit.fluxcd.io/v2",
      kind: "HelmRelease",
      metadata: { name: "broken", namespace: "flux-system" },
      spec: {
        interval: "30m",
        releaseName: "broken",
        targetNamespace: "kafka",
        chartRef: { kind: "OCIRepository", name: "strimzi-chart", namespace: "flux-system" },
      },
    };
    const file = join(work, "broken.json");
    writeFileSync(file, JSON.stringify(broken));
    await kubectl("apply", "-f", file);
    const waited = await kubectl(
      "wait",
      "helmrelease/broken",
      "-n",
      "flux-system",
      "--for=jsonpath={.status.conditions[0].status}=False",
      "--timeout=60s",
    );
    assert.match(waited, /condition met/);
    const ready = JSON.parse(await kubectl("get", "helmrelease/broken", "-n", "flux-system", "-o", "json")).status.conditions[0];
    assert.equal(ready.reason, "InstallFailed");
    assert.match(
      ready.message,
      /ClusterRole "strimzi-cluster-operator-namespaced" .* exists and cannot be imported into the current release/,
    );
    await kubectl("delete", "-f", file, "--timeout=60s");
  });

  it("the stack outputs describe the live cluster", async function () {
    const run = await exec("pulumi", ["stack", "output", "--json", "--show-secrets", "--stack", "dev"]);
    assert.equal(run.code, 0, tailOf(run));
    const outputs = JSON.parse(run.stdout);
    assert.equal(outputs.clusterName, clusterName);
    assert.equal(serverOf(outputs.kubeconfig), firstServer);
    assert.equal(outputs.bootstrapServers, "kafka-kafka-bootstrap.kafka.svc:9092");
    assert.deepEqual(outputs.topicNames, ["demo-events"]);
    // The bootstrap Service the output names exists (made by the stand-in once the Kafka was Ready).
    const service = JSON.parse(await kubectl("get", "service", "kafka-kafka-bootstrap", "-n", "kafka", "-o", "json"));
    assert.equal(service.spec.ports[0].port, 9092);
  });

  it("the stack state holds no kubeconfig key, token or password in plain text", async function () {
    const run = await exec("pulumi", ["stack", "export", "--stack", "dev"]);
    assert.equal(run.code, 0, tailOf(run));
    const key = parse((await kind("get", "kubeconfig", "--name", clusterName)).stdout).users[0].user["client-key-data"] as string;
    const exported = run.stdout;
    assert.ok(exported.length > 1000, "the export holds no resources");
    assert.ok(!exported.includes(key), "the kubeconfig's client key (base64) is in the state in plain text");
    assert.ok(!exported.includes(Buffer.from(key, "base64").toString().split("\n")[1]), "the client key (PEM) is in the state");
    assert.doesNotMatch(exported, /PRIVATE KEY|client-key-data|"(token|password)":\s*"[^"]/i);
  });

  it("a second run is a no-op (`pulumi preview --expect-no-changes`)", async function () {
    const preview = await pulumi("preview", "--expect-no-changes");
    assert.equal(preview.code, 0, `preview found changes: ${tailOf(preview, 60)}`);
  });

  /** The dev stack file of the throwaway project, to change structured settings such as `topics`. */
  const editStack = (edit: (config: Record<string, any>) => void) => {
    const file = join(project!.dir, "Pulumi.dev.yaml");
    const stack = parse(readFileSync(file, "utf8"));
    edit(stack.config);
    writeFileSync(file, stringify(stack));
  };
  /** `pulumi up` with the engine's events, for what each resource went through. */
  const upWithSteps = () => session!.engine(["up", "--yes", "--json"]);
  /** The operations one resource went through, once each (`up --json` announces each step in its preview and again when it runs). */
  const opsOf = (up: { steps: { op: string; urn: string }[] }, name: string) => [
    ...new Set(up.steps.filter((step) => step.urn.endsWith(`::${name}`)).map((step) => step.op)),
  ];
  const topic = async (name: string) => JSON.parse(await kubectl("get", "kafkatopics.kafka.strimzi.io", name, "-n", "kafka", "-o", "json"));

  it("day 2: a new topic is created and a topic's partitions grow in place", async function () {
    editStack((c) => {
      c["kafka-on-k8s:topics"] = [
        { name: "demo-events", partitions: 8 },
        { name: "audit-events", partitions: 3 },
      ];
    });
    const up = await upWithSteps();
    assert.equal(up.code, 0, `pulumi up failed: ${up.diagnostics.join("\n")}`);
    assert.deepEqual(opsOf(up, "kafka-topic-demo-events"), ["update"]);
    assert.deepEqual(opsOf(up, "kafka-topic-audit-events"), ["create"]);
    assert.equal((await topic("demo-events")).spec.partitions, 8);
    assert.equal((await topic("audit-events")).spec.partitions, 3);
  });

  it("day 2: a partition decrease is refused before anything changes, naming the setting", async function () {
    const rate = () =>
      kubectl("get", "deployment", "sample-app-producer", "-n", "kafka", "-o", "jsonpath={.spec.template.spec.containers[0].env}");
    const before = await rate();
    editStack((c) => {
      c["kafka-on-k8s:topics"][0].partitions = 6;
      // A change that would be applied if the update went ahead.
      c["kafka-on-k8s:appProduceRate"] = "50";
    });
    try {
      const up = await upWithSteps();
      assert.notEqual(up.code, 0, "an up that removes partitions succeeded");
      assert.match(up.diagnostics.join("\n"), /kafka-on-k8s:topics: topic demo-events has 8 partitions and Kafka cannot remove partitions/);
      assert.equal((await topic("demo-events")).spec.partitions, 8);
      assert.equal(await rate(), before, "the producer changed although the update was refused");
    } finally {
      editStack((c) => {
        c["kafka-on-k8s:topics"][0].partitions = 8;
        c["kafka-on-k8s:appProduceRate"] = "100";
      });
    }
  });

  it("day 2: monitoring on installs kube-prometheus-stack with Helm and the PodMonitors; off removes them", async function () {
    await project!.setConfig("dev", "kafka-on-k8s:monitoring", "true");
    const on = await pulumi("up", "--yes");
    assert.equal(on.code, 0, `pulumi up with monitoring failed: ${tailOf(on)}`);
    const release = JSON.parse(await kubectl("get", "helmrelease", "kube-prometheus-stack", "-n", "flux-system", "-o", "json"));
    assert.equal(release.status.conditions[0].reason, "InstallSucceeded", release.status.conditions[0].message);
    const monitors = JSON.parse(await kubectl("get", "podmonitors.monitoring.coreos.com", "--all-namespaces", "-o", "json")).items;
    assert.ok(monitors.length >= 3, `PodMonitors: ${monitors.map((m: any) => m.metadata.name).join(", ")}`);
    const all = await deployments();
    const monitoring = all.filter((d) => d.name.startsWith("monitoring/"));
    assert.ok(
      monitoring.some((d) => d.name.endsWith("-operator")),
      `no Prometheus operator: ${all.map((d) => d.name).join(", ")}`,
    );
    assert.deepEqual(
      monitoring.filter((d) => !d.rolledOut).map((d) => d.name),
      [],
      "monitoring Deployments not rolled out",
    );

    await project!.setConfig("dev", "kafka-on-k8s:monitoring", "false");
    const off = await pulumi("up", "--yes");
    assert.equal(off.code, 0, `pulumi up without monitoring failed: ${tailOf(off)}`);
    const left = await exec(kubectlPath, ["--kubeconfig", join(work, "kubeconfig"), "get", "namespace", "monitoring"]);
    assert.notEqual(left.code, 0, "the monitoring namespace is still there");
    const secrets = JSON.parse(
      await kubectl("get", "secrets", "--all-namespaces", "-l", "owner=helm,name=kube-prometheus-stack", "-o", "json"),
    );
    assert.equal(secrets.items.length, 0, "the Helm release was not uninstalled");
  });

  it("day 2: a Deployment and a KafkaTopic deleted behind Pulumi's back come back with `pulumi up --refresh`", async function () {
    await kubectl("delete", "deployment", "sample-app-producer", "-n", "kafka");
    await kubectl("delete", "kafkatopics.kafka.strimzi.io", "demo-events", "-n", "kafka");
    const up = await pulumi("up", "--yes", "--refresh");
    assert.equal(up.code, 0, `pulumi up --refresh failed: ${tailOf(up)}`);
    assert.equal((await topic("demo-events")).spec.partitions, 8);
    await assertRolledOut();
    const again = await pulumi("preview", "--expect-no-changes");
    assert.equal(again.code, 0, `after the repair a preview still finds changes: ${tailOf(again, 60)}`);
  });

  it("a new kindWorkers replaces the cluster and re-creates everything on the new one", async function () {
    await project!.setConfig("dev", "kafka-on-k8s:kindWorkers", "2");
    const up = await pulumi("up", "--yes");
    assert.equal(up.code, 0, `pulumi up failed: ${tailOf(up)}`);
    const server = await liveCluster();
    assert.notEqual(server, firstServer, "the cluster was not replaced");
    const nodes = JSON.parse(await kubectl("get", "nodes", "-o", "json"))
      .items.map((n: any) => n.metadata.name)
      .sort();
    assert.deepEqual(nodes, [`${clusterName}-control-plane`, `${clusterName}-worker`, `${clusterName}-worker2`]);
    // Everything on the cluster, not just the cluster: Flux, the Strimzi release, Kafka, the app and its image.
    await assertRolledOut();
    const kafka = JSON.parse(await kubectl("get", "kafkas.kafka.strimzi.io", "-n", "kafka", "-o", "json")).items;
    assert.equal(kafka.length, 1, "no Kafka on the new cluster");
    const images = join(state, "kind", clusterName, "images");
    assert.ok(existsSync(images), "the sample-app image was never loaded onto the new cluster");
    const outputs = JSON.parse((await exec("pulumi", ["stack", "output", "--json", "--show-secrets", "--stack", "dev"])).stdout);
    assert.equal(serverOf(outputs.kubeconfig), server, "the kubeconfig output still points at the old cluster");
    const again = await pulumi("preview", "--expect-no-changes");
    assert.equal(again.code, 0, `after the replacement a preview still finds changes: ${tailOf(again, 60)}`);
  });

  const assertNothingLeft = async () => {
    const clusters = await kind("get", "clusters");
    assert.equal(clusters.stdout.trim(), "", `kind clusters left: ${clusters.stdout}`);
    assert.deepEqual(clusterPids().filter(alive), [], "control-plane processes left running");
    const exported = await exec("pulumi", ["stack", "export", "--stack", "dev"]);
    assert.equal(exported.code, 0, tailOf(exported));
    assert.deepEqual(JSON.parse(exported.stdout).deployment.resources ?? [], [], "the stack still holds resources");
  };

  it("`pulumi destroy` leaves no cluster, no process and an empty stack", async function () {
    const destroy = await pulumi("destroy", "--yes");
    assert.equal(destroy.code, 0, `pulumi destroy failed: ${tailOf(destroy)}`);
    await assertNothingLeft();
  });

  it("a stack made with the previous Flux upgrades it in place, twice, leaving the HelmReleases alone", async function () {
    await project!.setConfig("dev", "kafka-on-k8s:fluxVersion", versions.FLUX_PREVIOUS_VERSION.replace(/^v/, ""));
    const old = await session!.pulumi(["up", "--yes", "--skip-preview"], { PATH: previousFluxPath });
    assert.equal(old.code, 0, `pulumi up with the previous Flux failed: ${tailOf(old)}`);
    const fluxVersions = async () => [
      ...new Set(
        (JSON.parse(await kubectl("get", "deployments", "-n", "flux-system", "-o", "json")).items as any[]).map(
          (d) => d.metadata.labels["app.kubernetes.io/version"],
        ),
      ),
    ];
    const identities = async () => ({
      namespace: JSON.parse(await kubectl("get", "namespace", "flux-system", "-o", "json")).metadata.uid,
      releases: (JSON.parse(await kubectl("get", "helmreleases", "-n", "flux-system", "-o", "json")).items as any[])
        .map((r) => `${r.metadata.name}=${r.metadata.uid}`)
        .sort(),
    });
    assert.deepEqual(await fluxVersions(), [versions.FLUX_PREVIOUS_VERSION]);
    const before = await identities();

    await project!.setConfig("dev", "kafka-on-k8s:fluxVersion", pinned.flux);
    for (const round of [1, 2]) {
      const up = await upWithSteps();
      assert.equal(up.code, 0, `pulumi up ${round} with the pinned Flux failed: ${up.diagnostics.join("\n")}`);
      assert.deepEqual(
        opsOf(up, "flux-install").filter((op) => op !== "same"),
        round === 1 ? ["update"] : [],
      );
      assert.deepEqual(await fluxVersions(), [`v${pinned.flux}`]);
      assert.deepEqual(await identities(), before, "Flux was uninstalled or a HelmRelease re-created");
      await assertRolledOut();
    }
  });

  it("`pulumi destroy` succeeds when the cluster has already gone", async function () {
    const gone = await kind("delete", "cluster", "--name", clusterName);
    assert.equal(gone.code, 0, tailOf(gone));
    const destroy = await pulumi("destroy", "--yes");
    assert.equal(destroy.code, 0, `pulumi destroy over a vanished cluster failed: ${tailOf(destroy)}`);
    await assertNothingLeft();
  });
});
