// What the stacks' NetworkPolicies claim, proven by an evaluator rather than by their shape: cyclonus
// (github.com/mattfenwick/cyclonus, built by scripts/apiserver/build.sh) reads the policies the program
// declares under mocks and, in `analyze --mode probe`, decides offline for every pair of pods in a model
// cluster whether a connection on each probed port is allowed (ingress at the destination and egress at
// the source). The test only says which pods may talk and compares that with cyclonus's table:
// - the app's pods reach the brokers' listener, and the brokers admit them and KEDA's operator only;
// - the monitoring namespace reaches the app's metrics port, and only when the stack runs monitoring;
// - the app's HTTP port admits only the peers `appHttpPeers` names (none by default);
// - the app's pods reach nothing but the brokers and DNS.
//
// The brokers' policy is written by Strimzi from the listener's `networkPolicyPeers`, not by the program:
// `strimziListenerPolicy` writes the listener rules as Strimzi's KafkaCluster#generateNetworkPolicy does
// (one ingress rule per listener port, `from` the peers as given, the broker pods selected by cluster,
// kind and name). Strimzi's other rules (replication and control-plane ports between its own pods,
// metrics) are not modelled and no probe touches those ports.
import { strict as assert } from "assert";
import { execFile } from "child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { promisify } from "util";
import { kedaOperatorPodLabels } from "../components/keda";
import { prometheusStackRelease } from "../components/monitoring";
import { sampleAppLabels } from "../components/sampleApp";
import { HTTP_PORT, METRICS_PORT } from "../sample-app/src/contract";
import { buildCyclonus } from "../test/support/apiserver";
import { kubernetesObjects, runProgram, StackName } from "../test/support/program";

const run = promisify(execFile);

/** What a pod in the model is, as far as the claims go. */
type Role = "app" | "broker" | "keda" | "dns" | "monitoring" | "peer" | "other";

interface ModelPod {
  readonly namespace: string;
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly ports: readonly { readonly port: number; readonly name: string; readonly protocol: "TCP" | "UDP" }[];
  readonly role: Role;
}

interface Probe {
  readonly port: number;
  readonly protocol: "TCP" | "UDP";
}

const namespaceLabel = "kubernetes.io/metadata.name";
const webPort = { port: 80, name: "web", protocol: "TCP" } as const;
type K8sObject = Record<string, any>;

/** The NetworkPolicy Strimzi writes for a Kafka cluster's listeners (see the header). */
function strimziListenerPolicy(kafka: K8sObject): K8sObject {
  const name = kafka.metadata.name as string;
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: `${name}-network-policy-kafka`, namespace: kafka.metadata.namespace },
    spec: {
      podSelector: { matchLabels: { "strimzi.io/cluster": name, "strimzi.io/kind": "Kafka", "strimzi.io/name": `${name}-kafka` } },
      policyTypes: ["Ingress"],
      ingress: (kafka.spec.kafka.listeners as K8sObject[]).map((l) => ({
        ports: [{ protocol: "TCP", port: l.port }],
        ...(l.networkPolicyPeers?.length ? { from: l.networkPolicyPeers } : {}),
      })),
    },
  };
}

/** The pods of the model cluster: the program's own, Strimzi's brokers as it labels them, and strangers. */
function modelPods(objects: K8sObject[], peers: readonly ModelPod[]): { pods: ModelPod[]; monitoringOn: boolean } {
  const ofKind = (kind: string) => objects.filter((o) => o.kind === kind);
  const kafka = ofKind("Kafka");
  assert.equal(kafka.length, 1, "one Kafka cluster");
  const cluster = kafka[0];
  const listenerPorts = (cluster.spec.kafka.listeners as K8sObject[]).map((l) => ({
    port: l.port as number,
    name: l.name,
    protocol: "TCP" as const,
  }));
  const app: ModelPod[] = ofKind("Deployment")
    .filter((d) => Object.entries(sampleAppLabels).every(([k, v]) => d.spec.template.metadata.labels[k] === v))
    .map((d) => ({
      namespace: d.metadata.namespace,
      name: d.metadata.name,
      labels: d.spec.template.metadata.labels,
      ports: (d.spec.template.spec.containers[0].ports as K8sObject[]).map((p) => ({
        port: p.containerPort,
        name: p.name,
        protocol: "TCP" as const,
      })),
      role: "app",
    }));
  assert.equal(app.length, 2, "the producer and consumer Deployments");
  const brokers: ModelPod[] = ofKind("KafkaNodePool")
    .filter((p) => p.spec.roles.includes("broker"))
    .map((p) => ({
      namespace: cluster.metadata.namespace,
      name: `${cluster.metadata.name}-${p.metadata.name}-0`,
      labels: {
        "strimzi.io/cluster": cluster.metadata.name,
        "strimzi.io/kind": "Kafka",
        "strimzi.io/name": `${cluster.metadata.name}-kafka`,
        "strimzi.io/pool-name": p.metadata.name,
        "strimzi.io/broker-role": "true",
        "strimzi.io/controller-role": String(p.spec.roles.includes("controller")),
      },
      ports: listenerPorts,
      role: "broker",
    }));
  assert.ok(brokers.length > 0, "a broker pool");
  // The Flux HelmReleases that install KEDA and Prometheus, when the stack has them: their pods' namespaces.
  const releaseNamespace = (name: string) =>
    ofKind("HelmRelease").find((r) => r.metadata.name === name)?.spec.targetNamespace as string | undefined;
  const kedaNamespace = releaseNamespace("keda");
  const monitoringNamespace = releaseNamespace(prometheusStackRelease);
  const pods: ModelPod[] = [
    ...app,
    ...brokers,
    ...(kedaNamespace
      ? [{ namespace: kedaNamespace, name: "keda-operator", labels: kedaOperatorPodLabels, ports: [webPort], role: "keda" as const }]
      : []),
    {
      namespace: "kube-system",
      name: "coredns",
      labels: { "k8s-app": "kube-dns" },
      ports: [{ port: 53, name: "dns", protocol: "UDP" }],
      role: "dns",
    },
    // Whether or not the stack runs monitoring: without it, a namespace of that name made by someone else gets nothing.
    {
      namespace: monitoringNamespace ?? "monitoring",
      name: "prometheus",
      labels: { "app.kubernetes.io/name": "prometheus" },
      ports: [webPort],
      role: "monitoring",
    },
    { namespace: cluster.metadata.namespace, name: "neighbour", labels: { app: "neighbour" }, ports: [webPort], role: "other" },
    { namespace: "intruder", name: "shell", labels: { app: "shell" }, ports: [webPort], role: "other" },
    // The app's labels outside the app's namespace: the listener's peer names no namespace, so only its own.
    { namespace: "intruder", name: "impostor", labels: { ...sampleAppLabels }, ports: [webPort], role: "other" },
    ...peers,
  ];
  return { pods, monitoringOn: monitoringNamespace !== undefined };
}

/** Whether the stack means a connection from `from` to `to` on `probe` to be allowed. */
function meant(from: ModelPod, to: ModelPod, probe: Probe, monitoringOn: boolean): boolean {
  const admitted =
    to.role === "app"
      ? (probe.port === HTTP_PORT && from.role === "peer") || (probe.port === METRICS_PORT && from.role === "monitoring" && monitoringOn)
      : to.role === "broker"
        ? from.role === "app" || from.role === "keda"
        : true;
  const leaves = from.role === "app" ? to.role === "broker" || to.role === "dns" : true;
  return admitted && leaves;
}

/** cyclonus's combined (ingress and egress) verdict per probe, from → to → "." (allowed), "X" (blocked), … */
async function evaluate(cyclonus: string, policies: K8sObject[], pods: ModelPod[], probes: Probe[]) {
  const dir = mkdtempSync(join(tmpdir(), "cyclonus-"));
  try {
    const policyDir = join(dir, "policies");
    writeFileSync(join(dir, "model.json"), JSON.stringify(modelFile(pods, probes)));
    mkdirSync(policyDir);
    writeFileSync(
      join(policyDir, "policies.json"),
      JSON.stringify({ apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicyList", items: policies }),
    );
    const { stdout } = await run(
      cyclonus,
      ["analyze", "--mode", "probe", "--policy-path", policyDir, "--probe-path", join(dir, "model.json")],
      {
        maxBuffer: 64 << 20,
      },
    );
    return parseCombined(stdout, pods, probes);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function modelFile(pods: ModelPod[], probes: Probe[]) {
  const namespaces = [...new Set(pods.map((p) => p.namespace))];
  return {
    Probes: probes.map((p) => ({ Protocol: p.protocol, Port: p.port })),
    Resources: {
      Namespaces: Object.fromEntries(namespaces.map((n) => [n, { [namespaceLabel]: n }])),
      Pods: pods.map((p, i) => ({
        Namespace: p.namespace,
        Name: p.name,
        Labels: p.labels,
        IP: `10.244.0.${i + 10}`,
        Containers: p.ports.map((c) => ({ Name: `c-${c.port}`, Port: c.port, PortName: c.name, Protocol: c.protocol })),
      })),
    },
  };
}

/** The "Combined:" table of each probe, in probe order: rows are sources (ns/name), columns destinations (NS/NAME). */
function parseCombined(stdout: string, pods: ModelPod[], probes: Probe[]): Map<string, string>[] {
  const keyOf = new Map(pods.map((p) => [`${p.namespace}/${p.name}`.toUpperCase(), `${p.namespace}/${p.name}`]));
  // After the model's probes cyclonus probes the pods it read from a cluster: none offline, an empty table.
  const blocks = stdout.split("Combined:\n").slice(1);
  assert.equal(blocks.length, probes.length + 1, `one Combined table per probe, then the empty cluster's, in:\n${stdout.slice(0, 3000)}`);
  return blocks.slice(0, probes.length).map((block) => {
    const rows = block
      .split("\n\n")[0]
      .split("\n")
      .filter((l) => l.startsWith("|"))
      .map((l) =>
        l
          .split("|")
          .slice(1, -1)
          .map((c) => c.trim()),
      );
    const header = rows[0].slice(1).map((h) => keyOf.get(h) ?? assert.fail(`unknown column ${h}`));
    const verdicts = new Map<string, string>();
    for (const [from, ...cells] of rows.slice(1)) cells.forEach((cell, i) => verdicts.set(`${from} -> ${header[i]}`, cell));
    assert.equal(verdicts.size, pods.length * pods.length, "a verdict for every pair");
    return verdicts;
  });
}

describe("NetworkPolicies of both stacks, evaluated by cyclonus", function () {
  this.timeout(20 * 60_000);
  let cyclonus: string;
  before(async function () {
    cyclonus = await buildCyclonus();
  });

  const peerNamespaces = { labelled: "ops", whole: "batch" };
  const peerConfig = [
    { namespace: peerNamespaces.labelled, podLabels: { "app.kubernetes.io/name": "console" } },
    { namespace: peerNamespaces.whole },
  ];
  // The pods `peerConfig` names, and one beside them it does not.
  const peerPods: ModelPod[] = [
    {
      namespace: peerNamespaces.labelled,
      name: "console",
      labels: { "app.kubernetes.io/name": "console" },
      ports: [webPort],
      role: "peer",
    },
    { namespace: peerNamespaces.labelled, name: "shell", labels: { "app.kubernetes.io/name": "shell" }, ports: [webPort], role: "other" },
    { namespace: peerNamespaces.whole, name: "job", labels: { app: "job" }, ports: [webPort], role: "peer" },
  ];
  const cases: { what: string; stack: StackName; overrides: Record<string, unknown>; peers: ModelPod[] }[] = [
    { what: "dev (monitoring off, no peers)", stack: "dev", overrides: {}, peers: [] },
    { what: "do (monitoring on, no peers)", stack: "do", overrides: {}, peers: [] },
    { what: "dev with two appHttpPeers", stack: "dev", overrides: { appHttpPeers: peerConfig }, peers: peerPods },
  ];

  for (const c of cases) {
    it(`allows exactly what the stack means: ${c.what}`, async () => {
      const objects = kubernetesObjects(await runProgram(c.stack, c.overrides));
      const { pods, monitoringOn } = modelPods(objects, c.peers);
      const kafka = objects.find((o) => o.kind === "Kafka")!;
      const policies = [...objects.filter((o) => o.kind === "NetworkPolicy"), strimziListenerPolicy(kafka)];
      const probes: Probe[] = [
        { port: HTTP_PORT, protocol: "TCP" },
        { port: METRICS_PORT, protocol: "TCP" },
        ...(kafka.spec.kafka.listeners as K8sObject[]).map((l) => ({ port: l.port as number, protocol: "TCP" as const })),
        { port: 53, protocol: "UDP" },
        { port: webPort.port, protocol: "TCP" },
      ];
      const tables = await evaluate(cyclonus, policies, pods, probes);
      const wrong: string[] = [];
      const counts = { allowed: 0, blocked: 0 };
      probes.forEach((probe, i) => {
        for (const from of pods) {
          for (const to of pods) {
            if (!to.ports.some((p) => p.port === probe.port)) continue; // nothing listens there
            const pair = `${from.namespace}/${from.name} -> ${to.namespace}/${to.name}`;
            const verdict = tables[i].get(pair);
            const expected = meant(from, to, probe, monitoringOn) ? "." : "X";
            counts[expected === "." ? "allowed" : "blocked"]++;
            if (verdict !== expected)
              wrong.push(`${probe.protocol}/${probe.port} ${pair}: cyclonus says ${verdict}, the stack means ${expected}`);
          }
        }
      });
      console.log(
        `    ${c.what}: ${pods.length} pods, ${probes.length} probes, ${counts.allowed} allowed and ${counts.blocked} blocked as meant`,
      );
      assert.deepEqual(wrong, []);
      // The claims the issue names, each visible in the table (so a model without such pods cannot pass).
      const verdict = (from: Role, to: Role, port: number) =>
        pods
          .filter((p) => p.role === from)
          .flatMap((f) =>
            pods
              .filter((p) => p.role === to)
              .map((t) => tables[probes.findIndex((p) => p.port === port)].get(`${f.namespace}/${f.name} -> ${t.namespace}/${t.name}`)),
          );
      const listener = probes[2].port;
      assert.ok(
        verdict("app", "broker", listener).every((v) => v === "."),
        "app -> brokers",
      );
      assert.ok(
        verdict("other", "broker", listener).every((v) => v === "X"),
        "any other pod -> brokers",
      );
      assert.ok(
        verdict("other", "app", HTTP_PORT).every((v) => v === "X"),
        "any other pod -> the app's HTTP port",
      );
      assert.ok(
        verdict("monitoring", "app", METRICS_PORT).every((v) => v === (monitoringOn ? "." : "X")),
        "monitoring -> metrics",
      );
      assert.ok(
        verdict("peer", "app", HTTP_PORT).every((v) => v === "."),
        "named peers -> the app's HTTP port",
      );
    });
  }
});
