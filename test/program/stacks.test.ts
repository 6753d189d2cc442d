// The real program under mocks, for each committed stack file: what it declares, how it is wired.
import * as assert from "assert";
import { spawnSync } from "child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { pinned } from "../../components/config/pinned";
import { postTokenCommand, postTokenSecret } from "../../components/sampleApp";
import { knownVariables, loadConfig as loadAppConfig } from "../../sample-app/src/config";
import { ENV, KUBERNETES, METRICS_PORT } from "../../sample-app/src/contract";
import { parse } from "yaml";
import { DeclaredResource, fakeKubeconfig, ofType, ProgramRun, registryCredentials, runProgram } from "../support/program";

const t = {
  command: "command:local:Command",
  k8sProvider: "pulumi:providers:kubernetes",
  doks: "digitalocean:index/kubernetesCluster:KubernetesCluster",
  registry: "digitalocean:index/containerRegistry:ContainerRegistry",
  namespace: "kubernetes:core/v1:Namespace",
  ociRepository: "kubernetes:source.toolkit.fluxcd.io/v1:OCIRepository",
  helmRepository: "kubernetes:source.toolkit.fluxcd.io/v1:HelmRepository",
  scaledObject: "kubernetes:keda.sh/v1alpha1:ScaledObject",
  triggerAuth: "kubernetes:keda.sh/v1alpha1:TriggerAuthentication",
  helmRelease: "kubernetes:helm.toolkit.fluxcd.io/v2:HelmRelease",
  kafka: "kubernetes:kafka.strimzi.io/v1:Kafka",
  nodePool: "kubernetes:kafka.strimzi.io/v1:KafkaNodePool",
  topic: "kubernetes:kafka.strimzi.io/v1:KafkaTopic",
  user: "kubernetes:kafka.strimzi.io/v1:KafkaUser",
  deployment: "kubernetes:apps/v1:Deployment",
  service: "kubernetes:core/v1:Service",
  pdb: "kubernetes:policy/v1:PodDisruptionBudget",
  networkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
  podMonitor: "kubernetes:monitoring.coreos.com/v1:PodMonitor",
  configMap: "kubernetes:core/v1:ConfigMap",
  secret: "kubernetes:core/v1:Secret",
};
const ref = (r: DeclaredResource) => `${r.type}::${r.name}`;
const one = (run: ProgramRun, type: string, name?: string): DeclaredResource => {
  const found = ofType(run, type).filter((r) => name === undefined || r.name === name);
  assert.strictEqual(found.length, 1, `expected one ${type}${name ? ` ${name}` : ""}, found ${found.length}`);
  return found[0];
};
const commandNamed = (run: ProgramRun, name: string) => one(run, t.command, name);
const strimziRelease = (run: ProgramRun) => one(run, t.helmRelease, "strimzi-release");
const kedaRelease = (run: ProgramRun) => one(run, t.helmRelease, "keda-release");
const monitoringRelease = (run: ProgramRun) => one(run, t.helmRelease, "monitoring-release");
const env = (d: DeclaredResource) =>
  Object.fromEntries(
    (d.inputs.spec.template.spec.containers[0].env as { name: string; value?: string; valueFrom?: unknown }[]).map((e) => [
      e.name,
      e.value ?? e.valueFrom,
    ]),
  );

/** Checks that hold for every stack. */
function wiring(stack: "dev" | "do", runOf: () => ProgramRun) {
  it("puts every Kubernetes resource on the cluster's provider", () => {
    const run = runOf();
    const provider = one(run, t.k8sProvider);
    const k8s = run.resources.filter((r) => r.custom && r.type.startsWith("kubernetes:"));
    assert.ok(k8s.length >= 10, `only ${k8s.length} Kubernetes resources`);
    for (const r of k8s) {
      assert.ok(
        r.provider?.startsWith(`urn:pulumi:${stack}::kafka-on-k8s::`) && r.provider.includes(`::${provider.name}::`),
        `${ref(r)} uses provider ${r.provider}`,
      );
    }
  });

  it("keys the provider by cluster identity so a refreshed kubeconfig replaces nothing", () => {
    const provider = one(runOf(), t.k8sProvider);
    assert.ok(provider.inputs.clusterIdentifier, "clusterIdentifier unset");
    assert.ok(provider.inputs.kubeconfig, "kubeconfig unset");
    // kind's kubeconfig is a secret value; DOKS's is the path of the file holding the fresh credential.
    assert.deepStrictEqual(provider.secretPaths, stack === "dev" ? ["kubeconfig"] : []);
  });

  it("orders Flux → HelmRelease → Kafka → app with explicit dependencies", () => {
    const run = runOf();
    const flux = commandNamed(run, "flux-install");
    const release = strimziRelease(run);
    const kafka = one(run, t.kafka);
    assert.ok(release.dependsOn.includes(ref(flux)), `HelmRelease depends on ${release.dependsOn}`);
    assert.ok(release.dependsOn.includes(ref(one(run, t.ociRepository, "strimzi-chart"))), "HelmRelease before its chart source");
    for (const ns of ofType(run, t.namespace).filter((n) => !["keda-namespace", "monitoring-namespace"].includes(n.name))) {
      assert.ok(release.dependsOn.includes(ref(ns)), `HelmRelease before ${ns.name}`);
    }
    for (const cr of [...ofType(run, t.nodePool), kafka]) {
      assert.ok(cr.dependsOn.includes(ref(release)), `${ref(cr)} must wait for the HelmRelease`);
    }
    for (const cr of [...ofType(run, t.topic), ...ofType(run, t.user)]) {
      assert.ok(cr.dependsOn.includes(ref(kafka)), `${ref(cr)} must wait for the Kafka cluster`);
    }
    for (const d of ofType(run, t.deployment)) {
      for (const needed of [kafka, ...ofType(run, t.topic), ...ofType(run, t.user)]) {
        assert.ok(d.dependsOn.includes(ref(needed)), `${ref(d)} must wait for ${ref(needed)}`);
      }
    }
  });

  it("waits for Ready on the HelmRelease, the Kafka cluster and its topics", () => {
    const run = runOf();
    for (const r of [...ofType(run, t.helmRelease), one(run, t.kafka), ...ofType(run, t.topic), ...ofType(run, t.user)]) {
      assert.strictEqual(r.inputs.metadata.annotations?.["pulumi.com/waitFor"], "condition=Ready", ref(r));
      assert.ok(Number(r.inputs.metadata.annotations?.["pulumi.com/timeoutSeconds"]) >= 300, `${ref(r)} timeout`);
    }
  });

  it("installs the Strimzi chart pinned to 1.2.0 from its OCI repository with CRDs", () => {
    const run = runOf();
    const source = one(run, t.ociRepository, "strimzi-chart").inputs;
    assert.strictEqual(source.spec.url, "oci://quay.io/strimzi-helm/strimzi-kafka-operator");
    assert.deepStrictEqual(source.spec.ref, { tag: "1.2.0" });
    const release = strimziRelease(run).inputs;
    assert.deepStrictEqual(release.spec.chartRef, { kind: "OCIRepository", name: source.metadata.name, namespace: "flux-system" });
    assert.strictEqual(release.spec.install.crds, "CreateReplace");
    assert.strictEqual(release.spec.upgrade.crds, "CreateReplace");
    assert.deepStrictEqual(release.spec.values.watchNamespaces, ["kafka"]);
  });

  it("runs Flux with the kubeconfig in the environment, not in argv", () => {
    const flux = commandNamed(runOf(), "flux-install").inputs;
    // kind: the kubeconfig itself, secret; DOKS: the file its short-lived credential is written to.
    const { KUBECONFIG_DATA: data, KUBECONFIG_FILE: file } = flux.environment;
    assert.ok(stack === "dev" ? data && !file : file && !data, `kubeconfig in the environment: ${Object.keys(flux.environment)}`);
    assert.deepStrictEqual(commandNamed(runOf(), "flux-install").secretPaths, stack === "dev" ? ["environment"] : []);
    assert.match(flux.create, /flux install --version="v\$FLUX_VERSION"/);
    assert.match(flux.create, /flux check/);
    assert.match(flux.delete, /flux uninstall/);
    assert.strictEqual(flux.environment.FLUX_VERSION, pinned.flux);
    // Triggers would replace the command, and a create-first replacement uninstalls the Flux just upgraded.
    assert.strictEqual(flux.triggers, undefined);
    assert.deepStrictEqual(commandNamed(runOf(), "flux-install").ignoreChanges, ["triggers"]);
    assert.doesNotMatch(flux.create + flux.delete, /apiVersion: v1|token:/, "kubeconfig text in the script");
  });

  it("lets destroy pass a cluster that no longer answers, but not a failed uninstall on a live one", () => {
    const flux = commandNamed(runOf(), "flux-install").inputs;
    // A stand-in flux CLI (this test's double): the right version, uninstall always fails, and
    // `check --pre` (which needs the API server) succeeds only when the cluster is "reachable".
    const bin = mkdtempSync(join(tmpdir(), "flux-double-"));
    writeFileSync(
      join(bin, "flux"),
      `#!/bin/bash
case "$1" in
  --version) echo "flux version $FLUX_VERSION" ;;
  uninstall) echo "uninstall failed" >&2; exit 1 ;;
  check) [[ "$REACHABLE" == yes ]] ;;
esac
`,
      { mode: 0o755 },
    );
    const destroy = (reachable: string) =>
      spawnSync("bash", ["-c", flux.delete], {
        env: { ...flux.environment, PATH: `${bin}:${process.env.PATH}`, REACHABLE: reachable },
        encoding: "utf8",
      });
    try {
      const gone = destroy("no");
      assert.strictEqual(gone.status, 0, gone.stderr);
      assert.match(gone.stderr, /does not answer: nothing left to uninstall/);
      assert.strictEqual(destroy("yes").status, 1, "a failed uninstall on a reachable cluster must fail destroy");
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });

  it("exports the cluster name, a secret kubeconfig, bootstrap servers, topics and the dashboard command", () => {
    const run = runOf();
    assert.deepStrictEqual(Object.keys(run.outputs).sort(), [
      "bootstrapServers",
      "clusterName",
      "dashboardCommand",
      "grafanaCommand",
      "kubeconfig",
      "topicNames",
    ]);
    assert.deepStrictEqual(run.secretOutputs, ["kubeconfig"]);
    assert.deepStrictEqual(run.outputs.topicNames, ["demo-events"]);
    assert.match(String(run.outputs.dashboardCommand), /port-forward svc\/sample-app 8080:8080/);
    // No credential written into the working tree (it used to suggest `> kubeconfig.yaml`).
    assert.doesNotMatch(String(run.outputs.dashboardCommand), /show-secrets|>/);
  });

  it("runs the sample app as hardened producer and consumer Deployments", () => {
    const run = runOf();
    for (const d of ofType(run, t.deployment)) {
      const pod = d.inputs.spec.template.spec;
      const c = pod.containers[0];
      assert.deepStrictEqual(d.inputs.spec.selector.matchLabels, d.inputs.spec.template.metadata.labels);
      assert.strictEqual(pod.securityContext.runAsNonRoot, true);
      assert.strictEqual(c.securityContext.readOnlyRootFilesystem, true);
      assert.ok(c.resources.requests.cpu && c.resources.limits.memory, "resources");
      assert.strictEqual(c.readinessProbe.httpGet.path, "/readyz");
      assert.strictEqual(c.livenessProbe.httpGet.path, "/healthz");
      assert.match(c.image, /^(registry\.digitalocean\.com\/kafka-on-k8s\/)?kafka-sample-app:[0-9a-f]{16}$/);
      assert.strictEqual(env(d).KAFKA_TOPIC, "demo-events");
    }
    const service = one(run, t.service).inputs;
    assert.strictEqual(service.spec.selector["app.kubernetes.io/component"], "consumer");
  });

  it("gives POST /messages a per-stack token: made once by a Command that logs nothing, handed to the pods by a Secret", () => {
    const run = runOf();
    const maker = commandNamed(run, "sample-app-post-token");
    assert.strictEqual(maker.inputs.create, postTokenCommand);
    assert.strictEqual(maker.inputs.logging, "none", "the Command's stdout is the token: it must not be logged");
    assert.deepStrictEqual(Object.keys(maker.inputs).sort(), ["create", "logging"], "a changed input would re-create the token");
    const secret = one(run, t.secret, "sample-app-post-token");
    assert.strictEqual(secret.inputs.metadata.name, postTokenSecret.name);
    assert.deepStrictEqual(secret.secretPaths, ["stringData"], "the token must reach the engine as a secret");
    for (const d of ofType(run, t.deployment)) {
      const token = (d.inputs.spec.template.spec.containers[0].env as { name: string }[]).find((v) => v.name === ENV.postToken);
      assert.deepStrictEqual(
        token,
        { name: ENV.postToken, valueFrom: { secretKeyRef: { name: postTokenSecret.name, key: postTokenSecret.key } } },
        `${d.name}: the token from the Secret, never a plain value`,
      );
    }
  });

  it("sets on the app's pods only variables the app reads, with values its own schema accepts", () => {
    const run = runOf();
    for (const d of ofType(run, t.deployment)) {
      const vars = d.inputs.spec.template.spec.containers[0].env as { name: string; value?: string }[];
      assert.deepStrictEqual(
        vars.map((v) => v.name).filter((n) => !knownVariables.includes(n)),
        [],
        `${d.name}: variables the app ignores`,
      );
      // Plain values as the pod gets them; a secret's or a mounted file's stands in, as the app cannot see them here.
      const plain = Object.fromEntries(
        vars.filter((v) => v.value !== undefined && v.name !== "KAFKA_TLS_CA_FILE").map((v) => [v.name, v.value]),
      );
      const withSecrets = vars.some((v) => v.name === "KAFKA_SASL_USERNAME") ? { KAFKA_SASL_USERNAME: "u", KAFKA_SASL_PASSWORD: "p" } : {};
      assert.doesNotThrow(() => loadAppConfig({ ...plain, ...withSecrets }), `${d.name}: the app would refuse its environment`);
    }
  });

  it("keeps a replica of each app Deployment through drains, and fences its pods' traffic", () => {
    const run = runOf();
    const pdbs = ofType(run, t.pdb).filter((p) => p.inputs.metadata.namespace === "kafka");
    for (const d of ofType(run, t.deployment)) {
      const covering = pdbs.filter((p) =>
        Object.entries(p.inputs.spec.selector.matchLabels).every(([k, v]) => d.inputs.spec.template.metadata.labels[k] === v),
      );
      assert.strictEqual(covering.length, 1, `${d.name}: ${covering.length} PodDisruptionBudgets`);
      assert.strictEqual(covering[0].inputs.spec.maxUnavailable, 1);
    }
    const policy = one(run, t.networkPolicy).inputs.spec;
    assert.deepStrictEqual(policy.policyTypes, ["Ingress", "Egress"]);
    // A rule without `from` admits every pod of every namespace; which peers each rule admits is proven
    // by cyclonus (test-apiserver/network-policy.test.ts).
    assert.deepStrictEqual(
      policy.ingress.filter((r: { from?: unknown[] }) => !r.from?.length),
      [],
      "an ingress rule open to every pod",
    );
    const port = stack === "do" ? 9093 : 9092;
    assert.deepStrictEqual(policy.egress[0], {
      to: [{ podSelector: { matchLabels: { "strimzi.io/cluster": "kafka", "strimzi.io/broker-role": "true" } } }],
      ports: [{ protocol: "TCP", port }],
    });
    assert.deepStrictEqual(
      policy.egress[1].ports.map((p: { port: number }) => p.port),
      [53, 53],
    );
  });

  it("labels the namespaces for Pod Security Admission, and runs Strimzi's operands under its restricted provider", () => {
    const run = runOf();
    const labels = Object.fromEntries(ofType(run, t.namespace).map((n) => [n.inputs.metadata.name, n.inputs.metadata.labels]));
    assert.strictEqual(labels.kafka["pod-security.kubernetes.io/enforce"], "restricted");
    assert.strictEqual(labels["strimzi-system"]["pod-security.kubernetes.io/enforce"], "baseline");
    assert.strictEqual(labels["strimzi-system"]["pod-security.kubernetes.io/warn"], "restricted");
    assert.strictEqual(labels.keda["pod-security.kubernetes.io/enforce"], "baseline");
    assert.deepStrictEqual(strimziRelease(run).inputs.spec.values.extraEnvs, [
      { name: "STRIMZI_POD_SECURITY_PROVIDER_CLASS", value: "restricted" },
    ]);
  });

  // A namespace whose URN changes is replaced by the next `up`, deleting everything inside it.
  it("keeps the URN of every namespace a component owns", () => {
    const component = (type: string) => `urn:pulumi:${stack}::kafka-on-k8s::${type}$${t.namespace}`;
    const strimzi = component("kafka-on-k8s:strimzi:StrimziOperator");
    // The monitoring namespace, where there is one, is checked with the rest of monitoring.
    const urns = ofType(runOf(), t.namespace)
      .filter((n) => n.name !== "monitoring-namespace")
      .map((n) => n.urn);
    assert.deepStrictEqual(urns.sort(), [
      `${component("kafka-on-k8s:keda:Keda")}::keda-namespace`,
      `${strimzi}::strimzi-namespace`,
      `${strimzi}::strimzi-watched-kafka`,
    ]);
  });

  // Existing stacks declared these namespaces at the top level: without an alias, the next `up` would
  // replace them, deleting the Kafka cluster and everything else inside.
  it("keeps the Strimzi and Kafka namespaces' URNs of earlier stacks now that StrimziOperator owns them", () => {
    const run = runOf();
    const operator = one(run, "kafka-on-k8s:strimzi:StrimziOperator");
    for (const name of ["strimzi-system", "kafka"]) {
      const namespace = ofType(run, t.namespace).find((n) => n.inputs.metadata.name === name)!;
      assert.strictEqual(namespace.parent, ref(operator), `namespace ${name}`);
      assert.ok(
        namespace.aliasUrns.includes(`urn:pulumi:${stack}::kafka-on-k8s::${t.namespace}::ns-${name}`),
        `namespace ${name} (${namespace.urn}) aliases ${namespace.aliasUrns}`,
      );
    }
  });

  it("installs KEDA 2.20.2 through Flux into its own namespace, waiting for Flux", () => {
    const run = runOf();
    const source = one(run, t.helmRepository);
    assert.deepStrictEqual(source.inputs.spec, { interval: "1h", url: "https://kedacore.github.io/charts" });
    const release = kedaRelease(run);
    assert.deepStrictEqual(release.inputs.spec.chart.spec, {
      chart: "keda",
      version: "2.20.2",
      sourceRef: { kind: "HelmRepository", name: source.inputs.metadata.name, namespace: "flux-system" },
    });
    assert.strictEqual(release.inputs.spec.targetNamespace, "keda");
    assert.strictEqual(release.inputs.spec.install.crds, "CreateReplace");
    for (const needed of [commandNamed(run, "flux-install"), source, one(run, t.namespace, "keda-namespace")]) {
      assert.ok(release.dependsOn.includes(ref(needed)), `KEDA's HelmRelease must wait for ${ref(needed)}`);
    }
  });

  it("scales the consumer Deployment on its group's lag once KEDA is Ready, and leaves its replicas to KEDA", () => {
    const run = runOf();
    const scaled = one(run, t.scaledObject);
    const consumer = one(run, t.deployment, "sample-app-consumer");
    assert.ok(scaled.dependsOn.includes(ref(kedaRelease(run))), "the ScaledObject must wait for KEDA's CRDs");
    assert.ok(scaled.dependsOn.includes(ref(consumer)), "the ScaledObject must wait for its target");
    const spec = scaled.inputs.spec;
    assert.deepStrictEqual(spec.scaleTargetRef, { apiVersion: "apps/v1", kind: "Deployment", name: "sample-app-consumer" });
    assert.deepStrictEqual([spec.minReplicaCount, spec.maxReplicaCount], stack === "do" ? [2, 12] : [1, 6]);
    assert.ok(spec.maxReplicaCount <= one(run, t.topic).inputs.spec.partitions, "more consumers than partitions");
    assert.strictEqual(spec.advanced.horizontalPodAutoscalerConfig.behavior.scaleDown.stabilizationWindowSeconds, 300);
    assert.strictEqual(spec.triggers.length, 1);
    const trigger = spec.triggers[0];
    assert.strictEqual(trigger.type, "kafka");
    assert.strictEqual(trigger.metadata.bootstrapServers, env(consumer).KAFKA_BROKERS);
    assert.strictEqual(trigger.metadata.consumerGroup, env(consumer).KAFKA_GROUP_ID);
    assert.strictEqual(trigger.metadata.topic, env(consumer).KAFKA_TOPIC);
    assert.strictEqual(trigger.metadata.lagThreshold, "100");
    // KEDA must count a partition without commits as the consumers read it: from the earliest offset.
    assert.strictEqual(env(consumer).CONSUMER_FROM_BEGINNING, "true");
    assert.strictEqual(trigger.metadata.offsetResetPolicy, "earliest");
    for (const [key, value] of Object.entries(trigger.metadata)) assert.strictEqual(typeof value, "string", key);
    // The next `pulumi up` must not reset the count KEDA chose; the producers stay Pulumi's.
    assert.deepStrictEqual(consumer.ignoreChanges, ["spec.replicas"]);
    assert.deepStrictEqual(one(run, t.deployment, "sample-app-producer").ignoreChanges, []);
  });

  it("lets KEDA's operator, and only it besides the app, reach the Kafka listener", () => {
    const listener = one(runOf(), t.kafka).inputs.spec.kafka.listeners[0];
    assert.deepStrictEqual(listener.networkPolicyPeers, [
      { podSelector: { matchLabels: { "app.kubernetes.io/name": "kafka-sample-app", "app.kubernetes.io/part-of": "kafka-on-k8s" } } },
      {
        namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "keda" } },
        podSelector: { matchLabels: { "app.kubernetes.io/name": "keda-operator" } },
      },
    ]);
  });
}

/** What monitoring=true declares, whichever the stack. */
function monitoringChecks(runOf: () => ProgramRun) {
  it("installs kube-prometheus-stack 88.5.3 through Flux into its own namespace, waiting for Flux", () => {
    const run = runOf();
    const source = ofType(run, t.ociRepository).find((o) => o.name === "monitoring-chart");
    assert.ok(source, "no OCIRepository for kube-prometheus-stack");
    assert.strictEqual(source.inputs.spec.url, "oci://ghcr.io/prometheus-community/charts/kube-prometheus-stack");
    assert.deepStrictEqual(source.inputs.spec.ref, { tag: "88.5.3" });
    const release = monitoringRelease(run);
    assert.deepStrictEqual(release.inputs.spec.chartRef, {
      kind: "OCIRepository",
      name: source.inputs.metadata.name,
      namespace: "flux-system",
    });
    assert.strictEqual(release.inputs.spec.targetNamespace, "monitoring");
    assert.strictEqual(release.inputs.spec.install.crds, "CreateReplace");
    for (const needed of [commandNamed(run, "flux-install"), source, one(run, t.namespace, "monitoring-namespace")]) {
      assert.ok(release.dependsOn.includes(ref(needed)), `the monitoring HelmRelease must wait for ${ref(needed)}`);
    }
    const values = release.inputs.spec.values;
    // Else Prometheus ignores PodMonitors that lack the release's label, i.e. all of this program's.
    assert.strictEqual(values.prometheus.prometheusSpec.podMonitorSelectorNilUsesHelmValues, false);
    assert.strictEqual(values.grafana.adminPassword, "", "the chart's well-known default password must not be used");
    assert.strictEqual(
      one(run, t.namespace, "monitoring-namespace").inputs.metadata.labels["pod-security.kubernetes.io/enforce"],
      "baseline",
    );
    assert.strictEqual(values.nodeExporter.enabled, false, "node-exporter needs host namespaces, which baseline refuses");
  });

  it("keeps the URN of the monitoring namespace", () => {
    const namespace = one(runOf(), t.namespace, "monitoring-namespace");
    assert.match(
      namespace.urn,
      /^urn:pulumi:\w+::kafka-on-k8s::kafka-on-k8s:monitoring:Monitoring\$kubernetes:core\/v1:Namespace::monitoring-namespace$/,
    );
  });

  it("scrapes the Kafka pods, the Strimzi operator and the app once the release is Ready", () => {
    const run = runOf();
    const monitors: Record<string, DeclaredResource> = Object.fromEntries(
      ofType(run, t.podMonitor).map((m) => [m.inputs.metadata.name, m]),
    );
    assert.deepStrictEqual(Object.keys(monitors).sort(), ["kafka", "sample-app", "strimzi-cluster-operator"]);
    for (const m of Object.values(monitors)) {
      assert.ok(m.dependsOn.includes(ref(monitoringRelease(run))), `${m.name} must wait for the PodMonitor CRD`);
    }
    const endpoint = (name: string) => monitors[name].inputs.spec.podMetricsEndpoints[0];
    assert.strictEqual(monitors.kafka.inputs.metadata.namespace, "kafka");
    assert.deepStrictEqual(monitors.kafka.inputs.spec.selector.matchLabels, { "strimzi.io/kind": "Kafka", "strimzi.io/cluster": "kafka" });
    assert.strictEqual(endpoint("kafka").port, "tcp-prometheus");
    assert.strictEqual(monitors["strimzi-cluster-operator"].inputs.metadata.namespace, "strimzi-system");
    // The app's PodMonitor must select its pods, by a port the container declares.
    const consumer = one(run, t.deployment, "sample-app-consumer").inputs.spec.template;
    for (const [k, v] of Object.entries(monitors["sample-app"].inputs.spec.selector.matchLabels)) {
      assert.strictEqual(consumer.metadata.labels[k], v, `sample-app PodMonitor label ${k}`);
    }
    // By the app's metrics listener, whose port the contract names and numbers.
    assert.strictEqual(endpoint("sample-app").port, KUBERNETES.ports.metrics);
    assert.deepStrictEqual(
      consumer.spec.containers[0].ports.find((p: { name: string }) => p.name === KUBERNETES.ports.metrics),
      { name: KUBERNETES.ports.metrics, containerPort: METRICS_PORT },
    );
    assert.strictEqual(env(one(run, t.deployment, "sample-app-consumer")).METRICS_PORT, String(METRICS_PORT));
    assert.strictEqual(endpoint("sample-app").path, "/metrics");
    // The app's NetworkPolicy must let Prometheus's namespace in on that port (cyclonus proves it admits no other).
    const ingress = ofType(run, t.networkPolicy).find((n) => n.inputs.metadata.name === "sample-app")!.inputs.spec.ingress;
    assert.deepStrictEqual(
      ingress.filter((r: { ports: { port: number }[] }) => r.ports.some((p) => p.port === METRICS_PORT)),
      [
        {
          from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } } }],
          ports: [{ protocol: "TCP", port: METRICS_PORT }],
        },
      ],
    );
  });

  it("serves the app group's lag through Strimzi's Kafka Exporter, and ships Strimzi's dashboards from its chart", () => {
    const run = runOf();
    const kafka = one(run, t.kafka).inputs.spec;
    assert.strictEqual(kafka.kafka.metricsConfig.type, "strimziMetricsReporter");
    assert.deepStrictEqual([kafka.kafkaExporter.groupRegex, kafka.kafkaExporter.topicRegex], ["^(sample-app)$", "^(demo-events)$"]);
    assert.ok(kafka.kafkaExporter.resources.limits.memory, "Kafka Exporter has no memory limit");
    assert.deepStrictEqual(strimziRelease(run).inputs.spec.values.dashboards, {
      enabled: true,
      label: "grafana_dashboard",
      labelValue: "1",
    });
    const sidecar = monitoringRelease(run).inputs.spec.values.grafana.sidecar.dashboards;
    assert.deepStrictEqual([sidecar.label, sidecar.labelValue, sidecar.searchNamespace], ["grafana_dashboard", "1", "ALL"]);
  });

  it("graphs the group's lag beside the consumer Deployment's replicas on one Grafana dashboard", () => {
    const run = runOf();
    const map = one(run, t.configMap, "monitoring-scaling-dashboard").inputs;
    assert.strictEqual(map.metadata.labels.grafana_dashboard, "1");
    const dashboard = JSON.parse(map.data["kafka-consumer-scaling.json"]);
    const exprs = dashboard.panels.flatMap((p: { targets: { expr: string }[] }) => p.targets.map((x) => x.expr)).join("\n");
    assert.match(exprs, /kafka_consumergroup_lag\{consumergroup="sample-app", topic="demo-events"\}/);
    assert.match(exprs, /kube_deployment_spec_replicas\{namespace="kafka", deployment="sample-app-consumer"\}/);
    assert.match(exprs, /sample_app_consumer_group_members/);
    assert.match(String(run.outputs.grafanaCommand), /-n monitoring port-forward svc\/kube-prometheus-stack-grafana 3000:80/);
  });
}

describe("program: dev stack (kind)", function () {
  this.timeout(60000);
  let run: ProgramRun;
  before(async () => {
    run = await runProgram("dev");
  });

  wiring("dev", () => run);

  it("creates the kind cluster with a command and nothing on DigitalOcean", () => {
    assert.strictEqual(run.resources.filter((r) => r.type.startsWith("digitalocean:")).length, 0);
    const create = commandNamed(run, "kind-create").inputs;
    assert.match(create.create, /kind create cluster --name "\$KIND_CLUSTER" --config -/);
    assert.match(create.delete, /kind delete cluster/);
    assert.match(create.stdin, /image: kindest\/node:v1\.35\.0@sha256:[0-9a-f]{64}/);
    assert.strictEqual((create.stdin.match(/role: worker/g) ?? []).length, 1);
    assert.ok(create.triggers.includes(create.stdin), "a new kind config must re-create the cluster");
    assert.strictEqual(create.logging, "stderr", "stdout is the kubeconfig: it must not be logged");
    assert.strictEqual(run.outputs.kubeconfig, fakeKubeconfig);
    assert.match(String(run.outputs.dashboardCommand), /^kubectl --context kind-kafka-dev -n kafka port-forward/);
  });

  it("keys the provider by the cluster command's id, so a re-created cluster re-creates everything on it", () => {
    const provider = one(run, t.k8sProvider).inputs;
    // The mocks' id of the kind-create command; a real one is new whenever the cluster is replaced.
    assert.strictEqual(provider.clusterIdentifier, "kind-create-id");
    // Provider inputs travel JSON-encoded.
    assert.strictEqual(provider.deleteUnreachable, "true", "destroy must work on a cluster deleted outside Pulumi");
  });

  it("declares one dual-role ephemeral pool and a plain listener", () => {
    const pools = ofType(run, t.nodePool);
    assert.strictEqual(pools.length, 1);
    assert.deepStrictEqual(pools[0].inputs.spec.roles, ["controller", "broker"]);
    assert.strictEqual(pools[0].inputs.spec.replicas, 1);
    assert.deepStrictEqual(pools[0].inputs.spec.storage, { type: "ephemeral" });
    // Small but guaranteed: requests equal the memory limit, heap about half of it.
    assert.deepStrictEqual(pools[0].inputs.spec.resources, { requests: { cpu: "250m", memory: "1Gi" }, limits: { memory: "1Gi" } });
    assert.deepStrictEqual(pools[0].inputs.spec.jvmOptions, { "-Xms": "512m", "-Xmx": "512m" });
    assert.strictEqual(pools[0].inputs.spec.template, undefined, "kind's one worker cannot spread nodes");
    const kafka = one(run, t.kafka).inputs.spec.kafka;
    assert.deepStrictEqual(
      kafka.listeners.map(({ networkPolicyPeers: _, ...l }: Record<string, unknown>) => l),
      [{ name: "plain", port: 9092, type: "internal", tls: false }],
    );
    assert.strictEqual(kafka.version, "4.3.1");
    assert.strictEqual(kafka.config["default.replication.factor"], 1);
    assert.strictEqual(kafka.config["min.insync.replicas"], 1);
    assert.strictEqual(kafka.authorization, undefined);
    assert.strictEqual(ofType(run, t.user).length, 0);
    assert.strictEqual(run.outputs.bootstrapServers, "kafka-kafka-bootstrap.kafka.svc:9092");
  });

  it("lets the kafka trigger connect in plain text, without a TriggerAuthentication", () => {
    assert.strictEqual(ofType(run, t.triggerAuth).length, 0);
    const trigger = one(run, t.scaledObject).inputs.spec.triggers[0];
    assert.strictEqual(trigger.authenticationRef, undefined);
    assert.strictEqual(trigger.metadata.sasl, undefined);
    assert.strictEqual(trigger.metadata.tls, undefined);
  });

  it("with appAutoscaling=false declares no KEDA, no ScaledObject, and keeps the consumers' count Pulumi's", async () => {
    const fixed = await runProgram("dev", {
      appAutoscaling: false,
      appMinConsumerReplicas: undefined,
      appMaxConsumerReplicas: undefined,
      appLagThreshold: undefined,
    });
    for (const type of [t.scaledObject, t.triggerAuth, t.helmRepository]) assert.strictEqual(ofType(fixed, type).length, 0, type);
    assert.deepStrictEqual(
      ofType(fixed, t.helmRelease).map((r) => r.name),
      ["strimzi-release"],
    );
    assert.deepStrictEqual(
      ofType(fixed, t.namespace)
        .map((n) => n.inputs.metadata.name)
        .sort(),
      ["kafka", "strimzi-system"],
    );
    const consumer = one(fixed, t.deployment, "sample-app-consumer");
    assert.deepStrictEqual(consumer.ignoreChanges, []);
    assert.strictEqual(consumer.inputs.spec.replicas, 2);
    assert.strictEqual(one(fixed, t.kafka).inputs.spec.kafka.listeners[0].networkPolicyPeers.length, 1);
  });

  it("declares no Prometheus, Grafana, PodMonitor or Kafka Exporter (monitoring is off on dev)", () => {
    assert.strictEqual(ofType(run, t.podMonitor).length, 0);
    assert.deepStrictEqual(
      ofType(run, t.helmRelease)
        .map((r) => r.name)
        .sort(),
      ["keda-release", "strimzi-release"],
    );
    assert.strictEqual(one(run, t.kafka).inputs.spec.kafkaExporter, undefined);
    assert.strictEqual(strimziRelease(run).inputs.spec.values.dashboards, undefined);
    assert.match(String(run.outputs.grafanaCommand), /^monitoring is off/);
  });

  describe("with monitoring=true", () => {
    let monitored: ProgramRun;
    before(async () => {
      monitored = await runProgram("dev", { monitoring: true });
    });
    monitoringChecks(() => monitored);
  });

  it("loads the content-tagged image into kind once the cluster exists", () => {
    // Without this edge the engine ran `kind load` beside `kind create cluster` and the first up failed.
    assert.deepStrictEqual(commandNamed(run, "sample-app-image-build").dependsOn, [`${t.command}::kind-create`]);
    const build = commandNamed(run, "sample-app-image-build").inputs;
    assert.match(build.create, /docker build --tag "\$IMAGE" "\$CONTEXT"/);
    assert.match(build.create, /kind load docker-image "\$IMAGE" --name "\$KIND_CLUSTER"/);
    assert.strictEqual(build.environment.KIND_CLUSTER, "kafka-dev");
    assert.doesNotMatch(build.create, /--platform/, "kind runs images of the host's platform");
    // Loaded again into a re-created cluster (whose create command has a new id).
    assert.deepStrictEqual(build.triggers, [build.environment.IMAGE.split(":")[1], "kind-create-id"]);
  });
});

describe("program: do stack (DigitalOcean)", function () {
  this.timeout(60000);
  let run: ProgramRun;
  before(async () => {
    run = await runProgram("do");
  });

  wiring("do", () => run);

  it("creates a DOKS cluster sized for one broker per node, and no kind cluster", () => {
    assert.strictEqual(run.resources.filter((r) => r.type === t.command && /kind create/.test(r.inputs.create)).length, 0);
    const cluster = one(run, t.doks).inputs;
    assert.strictEqual(cluster.region, "ams3");
    assert.strictEqual(cluster.version, "1.35.1-do.0");
    assert.strictEqual(cluster.ha, true);
    assert.strictEqual(cluster.registryIntegration, true);
    assert.strictEqual(cluster.nodePool.autoScale, true);
    assert.ok(cluster.nodePool.minNodes >= 3 && cluster.nodePool.maxNodes >= cluster.nodePool.minNodes);
    assert.strictEqual(one(run, t.registry).inputs.name, "kafka-on-k8s");
  });

  it("gives the provider and the flux CLI a file with the cluster's own short-lived credential, and exports no token", () => {
    // The account token can do anything in the account; the cluster gets a credential DOKS issues for it alone.
    const file = String(one(run, t.k8sProvider).inputs.kubeconfig);
    assert.strictEqual(commandNamed(run, "flux-install").inputs.environment.KUBECONFIG_FILE, file);
    const written = parse(readFileSync(file, "utf8"));
    assert.strictEqual(written.clusters[0].cluster.server, "https://0a1b2c.k8s.ondigitalocean.com");
    assert.deepStrictEqual(written.users[0].user, { token: "doks-cluster-scoped-token" });
    assert.strictEqual(statSync(file).mode & 0o077, 0, "the credential file is readable by others");
    const lookup = run.invokes.find((i) => i.token === "digitalocean:index/getKubernetesCluster:getKubernetesCluster");
    assert.ok(lookup, "the credential is not fetched on this run");
    assert.ok(lookup.inputs.kubeconfigExpireSeconds <= 3600, `credential lifetime ${lookup.inputs.kubeconfigExpireSeconds} s`);
    // What people get uses doctl's exec credential plugin with their own login.
    const exported = String(run.outputs.kubeconfig);
    assert.doesNotMatch(exported, /dop_v1|token/);
    assert.match(exported, /command: doctl/);
    assert.match(exported, /- exec-credential\n\s+- --version=v1beta1\n\s+- doks-cluster-id/);
    assert.match(exported, /current-context: do-ams3-kafka-do/);
    assert.ok(run.secretOutputs.includes("kubeconfig"));
    assert.match(
      String(run.outputs.dashboardCommand),
      /^doctl kubernetes cluster kubeconfig save kafka-do && kubectl --context do-ams3-kafka-do -n kafka port-forward/,
    );
  });

  it("declares 3 controllers and 3 brokers on persistent volumes, brokers on distinct nodes", () => {
    const pools: Record<string, any> = Object.fromEntries(ofType(run, t.nodePool).map((p) => [p.inputs.metadata.name, p.inputs.spec]));
    assert.deepStrictEqual(Object.keys(pools).sort(), ["brokers", "controllers"]);
    assert.deepStrictEqual(pools.controllers.roles, ["controller"]);
    assert.deepStrictEqual(pools.brokers.roles, ["broker"]);
    assert.strictEqual(pools.controllers.replicas, 3);
    assert.strictEqual(pools.brokers.replicas, 3);
    for (const p of Object.values(pools)) {
      assert.deepStrictEqual(p.storage, { type: "persistent-claim", size: "20Gi", class: "do-block-storage", deleteClaim: false });
    }
    assert.strictEqual(one(run, t.doks).inputs.destroyAllAssociatedResources, false, "volumes are kept unless asked");
    // One broker and one controller per node: losing a node costs one replica and no quorum.
    for (const [pool, role] of [
      ["brokers", "broker"],
      ["controllers", "controller"],
    ]) {
      const antiAffinity = pools[pool].template.pod.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0];
      assert.strictEqual(antiAffinity.topologyKey, "kubernetes.io/hostname");
      assert.deepStrictEqual(antiAffinity.labelSelector.matchLabels, {
        "strimzi.io/cluster": "kafka",
        [`strimzi.io/${role}-role`]: "true",
      });
    }
    assert.deepStrictEqual(pools.brokers.resources, { requests: { cpu: "1", memory: "4Gi" }, limits: { memory: "4Gi" } });
    assert.deepStrictEqual(pools.brokers.jvmOptions, { "-Xms": "2g", "-Xmx": "2g" });
    assert.deepStrictEqual(pools.controllers.resources, { requests: { cpu: "250m", memory: "1Gi" }, limits: { memory: "1Gi" } });
    const entityOperator = one(run, t.kafka).inputs.spec.entityOperator;
    for (const op of ["topicOperator", "userOperator"]) assert.ok(entityOperator[op].resources.limits.memory, `${op} has no memory limit`);
  });

  it("secures the listener with TLS + SCRAM-SHA-512 and ACLs for the app user", () => {
    const kafka = one(run, t.kafka).inputs.spec.kafka;
    assert.deepStrictEqual(
      kafka.listeners.map(({ networkPolicyPeers: _, ...l }: Record<string, unknown>) => l),
      [{ name: "tls", port: 9093, type: "internal", tls: true, authentication: { type: "scram-sha-512" } }],
    );
    assert.deepStrictEqual(kafka.authorization, { type: "simple" });
    assert.strictEqual(kafka.config["default.replication.factor"], 3);
    assert.strictEqual(kafka.config["min.insync.replicas"], 2);
    assert.strictEqual(kafka.metricsConfig.type, "strimziMetricsReporter");
    const user = one(run, t.user).inputs.spec;
    assert.strictEqual(user.authentication.type, "scram-sha-512");
    // In the cluster's namespace with its label, or the cluster's User Operator never sees it.
    const { name, namespace, labels } = one(run, t.user).inputs.metadata;
    assert.deepStrictEqual(
      { name, namespace, labels },
      { name: "sample-app", namespace: "kafka", labels: { "strimzi.io/cluster": "kafka" } },
    );
    assert.deepStrictEqual(
      user.authorization.acls.map((a: { resource: { type: string; name: string } }) => `${a.resource.type}:${a.resource.name}`),
      ["topic:demo-events", "group:sample-app"],
    );
    const consumer = env(one(run, t.deployment, "sample-app-consumer"));
    assert.strictEqual(consumer.KAFKA_BROKERS, "kafka-kafka-bootstrap.kafka.svc:9093");
    assert.strictEqual(consumer.KAFKA_SASL_USERNAME, "sample-app");
    assert.deepStrictEqual(consumer.KAFKA_SASL_PASSWORD, { secretKeyRef: { name: "sample-app", key: "password" } });
    assert.strictEqual(consumer.KAFKA_TLS_CA_FILE, "/etc/kafka-ca/ca.crt");
  });

  // The user moved from KafkaCluster to the app's KafkaClient; replacing it would delete its Secret and
  // make every app pod fail authentication until the User Operator wrote a new password.
  it("declares the app's KafkaUser on the app's side, keeping its URN of earlier stacks", () => {
    const user = one(run, t.user);
    assert.strictEqual(user.parent, ref(one(run, "kafka-on-k8s:kafka:KafkaClient")));
    assert.deepStrictEqual(user.aliasUrns, [
      `urn:pulumi:do::kafka-on-k8s::kafka-on-k8s:kafka:KafkaCluster$${t.user}::kafka-user-sample-app`,
    ]);
    assert.notStrictEqual(user.urn, user.aliasUrns[0]);
  });

  it("authenticates the kafka trigger with TLS + SCRAM from the user's and the CA's Secrets, no password inline", () => {
    const auth = one(run, t.triggerAuth);
    assert.deepStrictEqual(auth.inputs.spec, {
      env: [{ parameter: "username", name: "KAFKA_SASL_USERNAME", containerName: "app" }],
      secretTargetRef: [
        { parameter: "password", name: "sample-app", key: "password" },
        { parameter: "ca", name: "kafka-cluster-ca-cert", key: "ca.crt" },
      ],
    });
    const consumer = one(run, t.deployment, "sample-app-consumer").inputs.spec.template.spec.containers[0];
    assert.strictEqual(consumer.name, "app");
    assert.ok(consumer.env.some((e: { name: string; value?: string }) => e.name === "KAFKA_SASL_USERNAME" && e.value === "sample-app"));
    const scaled = one(run, t.scaledObject);
    assert.ok(scaled.dependsOn.includes(ref(auth)), "the ScaledObject must wait for its TriggerAuthentication");
    const trigger = scaled.inputs.spec.triggers[0];
    assert.deepStrictEqual(trigger.authenticationRef, { name: auth.inputs.metadata.name });
    assert.strictEqual(trigger.metadata.sasl, "scram_sha512");
    assert.strictEqual(trigger.metadata.tls, "enable");
    assert.doesNotMatch(JSON.stringify(scaled.inputs), /password"?\s*:/i);
    // KEDA's scaler lists the group's offsets and the topic's partitions: Describe on both, with the app's user.
    const acls = one(run, t.user).inputs.spec.authorization.acls as { resource: { type: string; name: string }; operations: string[] }[];
    assert.ok(acls.find((a) => a.resource.type === "topic" && a.resource.name === trigger.metadata.topic)?.operations.includes("Describe"));
    assert.ok(
      acls.find((a) => a.resource.type === "group" && a.resource.name === trigger.metadata.consumerGroup)?.operations.includes("Describe"),
    );
  });

  it("declares the topic with 12 partitions, RF 3 and min ISR 2", () => {
    const topic = one(run, t.topic).inputs.spec;
    assert.deepStrictEqual(topic, {
      topicName: "demo-events",
      partitions: 12,
      replicas: 3,
      config: { "retention.ms": 604800000, "min.insync.replicas": 2 },
    });
  });

  it("pushes the image with the registry's own short-lived Docker credential in the environment only, once the registry exists", () => {
    assert.deepStrictEqual(commandNamed(run, "sample-app-image-build").dependsOn, [`${t.registry}::doks-registry`]);
    const build = commandNamed(run, "sample-app-image-build").inputs;
    assert.match(build.create, /docker push "\$IMAGE"/);
    const credentials = one(run, "digitalocean:index/containerRegistryDockerCredentials:ContainerRegistryDockerCredentials");
    assert.deepStrictEqual(credentials.inputs, { registryName: "kafka-on-k8s", write: true, expirySeconds: 3600 });
    assert.strictEqual(build.environment.REGISTRY_CREDENTIALS, registryCredentials);
    assert.deepStrictEqual(commandNamed(run, "sample-app-image-build").secretPaths, ["environment"]);
    assert.doesNotMatch(JSON.stringify(build), /dop_v1/);
    assert.match(build.environment.IMAGE, /^registry\.digitalocean\.com\/kafka-on-k8s\/kafka-sample-app:[0-9a-f]{16}$/);
    // DOKS nodes are x86-64 whatever the laptop that builds the image.
    assert.match(build.create, /docker build --platform "\$PLATFORM" --tag "\$IMAGE"/);
    assert.strictEqual(build.environment.PLATFORM, "linux/amd64");
  });

  it("hands the account token to no resource: only the digitalocean provider reads it", () => {
    const holders = run.resources.filter((r) => JSON.stringify(r.inputs).includes("dop_v1_test_token_not_real"));
    assert.deepStrictEqual(
      holders.map((r) => `${r.type}::${r.name}`),
      [],
    );
  });

  it("deletes the volumes with the cluster only when deleteVolumesOnDestroy is set", async () => {
    const asked = await runProgram("do", { deleteVolumesOnDestroy: true });
    assert.strictEqual(one(asked, t.doks).inputs.destroyAllAssociatedResources, true);
    for (const pool of ofType(asked, t.nodePool)) assert.strictEqual(pool.inputs.spec.storage.deleteClaim, true);
  });

  monitoringChecks(() => run);

  it("keeps one of its two Strimzi operators through drains", () => {
    const pdb = ofType(run, t.pdb).find((p) => p.inputs.metadata.namespace === "strimzi-system");
    assert.deepStrictEqual(pdb?.inputs.spec, { maxUnavailable: 1, selector: { matchLabels: { "strimzi.io/kind": "cluster-operator" } } });
  });

  it("scales the app from the stack file (the consumers' count only at creation; KEDA owns it after)", () => {
    assert.strictEqual(one(run, t.deployment, "sample-app-producer").inputs.spec.replicas, 2);
    assert.strictEqual(one(run, t.deployment, "sample-app-consumer").inputs.spec.replicas, 3);
    assert.strictEqual(env(one(run, t.deployment, "sample-app-producer")).PRODUCE_RATE, "500");
  });
});

describe("program: bootstrap-github", function () {
  this.timeout(60000);

  it("bootstraps Flux from GitHub with the token in the environment only", async () => {
    const run = await runProgram(
      "dev",
      { fluxMode: "bootstrap-github", githubOwner: "acme", githubRepository: "fleet" },
      { "kafka-on-k8s:githubToken": "ghp_test_token_not_real" },
    );
    const flux = commandNamed(run, "flux-install").inputs;
    assert.match(flux.create, /flux bootstrap github --owner="\$GITHUB_OWNER" --repository="\$GITHUB_REPOSITORY"/);
    assert.strictEqual(flux.environment.GITHUB_TOKEN, "ghp_test_token_not_real");
    assert.deepStrictEqual(commandNamed(run, "flux-install").secretPaths, ["environment"]);
    assert.strictEqual(flux.environment.GITHUB_PATH, "clusters/dev");
    assert.doesNotMatch(flux.create, /ghp_/);
  });
});
