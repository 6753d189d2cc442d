// Bad stack configuration is refused before any resource is declared, every problem in one error,
// each naming the key, the value and what is allowed.
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, parseConfig } from "../../components/config";
import { chartMinimums, pinned } from "../../components/config/pinned";
import { project, runProgram, StackName, stackValues, testSecrets } from "../support/program";

const p = (key: string) => `${project}:${key}`;

/** parseConfig on a committed stack file with some keys replaced (undefined removes a key). */
function parse(stack: StackName, overrides: Record<string, unknown>, secrets: Record<string, string> = testSecrets[stack]) {
  const values = stackValues(stack, overrides, secrets);
  return parseConfig({ project, stack, values, secretKeys: Object.keys(secrets) }, (key) =>
    values[key] === undefined ? undefined : pulumi.secret(values[key]),
  );
}

function problemsOf(stack: StackName, overrides: Record<string, unknown>, secrets?: Record<string, string>): string[] {
  try {
    parse(stack, overrides, secrets);
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${e}`);
    return e.problems;
  }
  assert.fail(`accepted ${JSON.stringify(overrides)}`);
}

// [what, stack, overrides, secrets (undefined: the stack's test secrets), expected problem]
const table: [string, StackName, Record<string, unknown>, Record<string, string> | undefined, RegExp][] = [
  ["unknown cluster kind", "dev", { clusterKind: "eks" }, undefined, /^kafka-on-k8s:clusterKind = "eks": must be one of: kind, doks$/],
  ["zero brokers", "dev", { brokerReplicas: 0 }, undefined, /^kafka-on-k8s:brokerReplicas = "0": must be ≥ 1/],
  ["fractional brokers", "do", { brokerReplicas: 2.5 }, undefined, /^kafka-on-k8s:brokerReplicas = "2.5": must be a whole number/],
  [
    "non-numeric controllers",
    "do",
    { controllerReplicas: "three" },
    undefined,
    /^kafka-on-k8s:controllerReplicas = "three": must be a replica count/,
  ],
  [
    "even controller quorum",
    "do",
    { controllerReplicas: 2 },
    undefined,
    /^kafka-on-k8s:controllerReplicas = "2": the KRaft controller quorum must be odd/,
  ],
  [
    "controllers differing from brokers in a combined pool",
    "dev",
    { controllerReplicas: 3 },
    undefined,
    /^kafka-on-k8s:controllerReplicas = "3": with nodePools=combined every broker is also a controller/,
  ],
  [
    "topic replicas above broker count",
    "dev",
    { topics: [{ name: "t", partitions: 3, replicas: 3 }] },
    undefined,
    /^kafka-on-k8s:topics = .*topic t \(#1\): replicas 3 must be ≤ brokerReplicas \(1\)/,
  ],
  [
    "replication factor above broker count",
    "do",
    { replicationFactor: 4 },
    undefined,
    /^kafka-on-k8s:replicationFactor = "4": must be ≤ brokerReplicas \(3\)/,
  ],
  [
    "min.insync.replicas equal to the replication factor",
    "do",
    { minInsyncReplicas: 3 },
    undefined,
    /^kafka-on-k8s:minInsyncReplicas = "3": min.insync.replicas \(3\) must be below the replication factor \(3\)/,
  ],
  [
    "topic min.insync.replicas equal to its replicas",
    "do",
    { topics: [{ name: "t", partitions: 3, config: { "min.insync.replicas": 3 } }] },
    undefined,
    /^kafka-on-k8s:topics = .*min.insync.replicas \(3\) must be below the replicas of topic t \(3\)/,
  ],
  [
    "DOKS node count below broker count",
    "do",
    { doNodeCount: 2, doAutoscale: false, doMaxNodes: undefined },
    undefined,
    /^kafka-on-k8s:doNodeCount = "2": must be ≥ brokerReplicas \(3\)/,
  ],
  [
    "bootstrap-github without owner",
    "dev",
    { fluxMode: "bootstrap-github", githubRepository: "fleet" },
    { [p("githubToken")]: "t" },
    /^kafka-on-k8s:githubOwner = \(unset\): required for fluxMode=bootstrap-github/,
  ],
  [
    "bootstrap-github without repository",
    "dev",
    { fluxMode: "bootstrap-github", githubOwner: "acme" },
    { [p("githubToken")]: "t" },
    /^kafka-on-k8s:githubRepository = \(unset\): required for fluxMode=bootstrap-github/,
  ],
  [
    "bootstrap-github without token",
    "dev",
    { fluxMode: "bootstrap-github", githubOwner: "acme", githubRepository: "fleet" },
    undefined,
    /^kafka-on-k8s:githubToken = \(unset\): required for fluxMode=bootstrap-github; set it with `pulumi config set --secret/,
  ],
  [
    "a GitHub token in plain text",
    "dev",
    { githubToken: "ghp_plain" },
    undefined,
    /^kafka-on-k8s:githubToken = \(plain text\): must be a secret/,
  ],
  [
    "unknown flux mode",
    "dev",
    { fluxMode: "argo" },
    undefined,
    /^kafka-on-k8s:fluxMode = "argo": must be one of: install, bootstrap-github$/,
  ],
  [
    "malformed Strimzi chart version",
    "dev",
    { strimziChartVersion: "1.2" },
    undefined,
    /^kafka-on-k8s:strimziChartVersion = "1.2": must be an exact version MAJOR.MINOR.PATCH/,
  ],
  [
    "a Strimzi chart release candidate",
    "dev",
    { strimziChartVersion: "1.2.0-rc1" },
    undefined,
    /^kafka-on-k8s:strimziChartVersion = "1.2.0-rc1": must be an exact version MAJOR.MINOR.PATCH/,
  ],
  [
    "a Strimzi chart version with a leading zero",
    "dev",
    { strimziChartVersion: "1.02.0" },
    undefined,
    /^kafka-on-k8s:strimziChartVersion = "1.02.0": must be an exact version MAJOR.MINOR.PATCH/,
  ],
  [
    "a Strimzi chart without kafka.strimzi.io/v1",
    "dev",
    { strimziChartVersion: "0.40.0" },
    undefined,
    /^kafka-on-k8s:strimziChartVersion = "0.40.0": must be ≥ 0\.49\.0, the first release serving kafka\.strimzi\.io\/v1/,
  ],
  ["malformed Flux version", "dev", { fluxVersion: "v2.9.4" }, undefined, /^kafka-on-k8s:fluxVersion = "v2.9.4": must be an exact version/],
  [
    "Kafka version Strimzi does not support",
    "dev",
    { kafkaVersion: "3.9.0" },
    undefined,
    /^kafka-on-k8s:kafkaVersion = "3.9.0": must be a Kafka version Strimzi 1.2.0 supports: 4.2.0, 4.2.1, 4.3.0, 4.3.1$/,
  ],
  [
    "malformed kind Kubernetes version",
    "dev",
    { kubernetesVersion: "1.35" },
    undefined,
    /^kafka-on-k8s:kubernetesVersion = "1.35": must be an exact version MAJOR.MINOR.PATCH for kind/,
  ],
  [
    "malformed DOKS Kubernetes version",
    "do",
    { kubernetesVersion: "latest" },
    undefined,
    /^kafka-on-k8s:kubernetesVersion = "latest": must be a MAJOR.MINOR prefix/,
  ],
  [
    "unknown storage type",
    "dev",
    { storageType: "hostPath" },
    undefined,
    /^kafka-on-k8s:storageType = "hostPath": must be one of: ephemeral, persistent-claim$/,
  ],
  ["bad storage size", "do", { storageSize: "20 gigs" }, undefined, /^kafka-on-k8s:storageSize = "20 gigs": must be a Kubernetes quantity/],
  [
    "unknown listener auth",
    "dev",
    { listenerAuth: "plain" },
    undefined,
    /^kafka-on-k8s:listenerAuth = "plain": must be one of: none, scram-sha-512$/,
  ],
  ["topics that are not a list", "dev", { topics: { name: "t" } }, undefined, /^kafka-on-k8s:topics = .*must be a list of topics/],
  [
    "a topic with zero partitions",
    "dev",
    { topics: [{ name: "t", partitions: 0 }] },
    undefined,
    /^kafka-on-k8s:topics\[0\].\[partitions\] = .*must be ≥ 1/,
  ],
  [
    "a duplicated topic",
    "dev",
    {
      topics: [
        { name: "t", partitions: 1 },
        { name: "t", partitions: 2 },
      ],
    },
    undefined,
    /topic t is declared more than once/,
  ],
  [
    "an app topic that is not declared",
    "dev",
    { appTopic: "orders" },
    undefined,
    /^kafka-on-k8s:appTopic = "orders": must be one of the declared topics: demo-events$/,
  ],
  [
    "a bad produce rate",
    "dev",
    { appProduceRate: "fast" },
    undefined,
    /^kafka-on-k8s:appProduceRate = "fast": must be a whole number of messages\/s or max$/,
  ],
  [
    "a misspelt setting",
    "dev",
    { brokerReplica: 1 },
    undefined,
    /^kafka-on-k8s:brokerReplica = "1": unknown setting; known settings: .*brokerReplicas/,
  ],
  ["a DOKS setting on kind", "dev", { doRegion: "ams3" }, undefined, /^kafka-on-k8s:doRegion = "ams3": only applies to clusterKind=doks$/],
  [
    "unknown resource profile",
    "do",
    { resourceProfile: "huge" },
    undefined,
    /^kafka-on-k8s:resourceProfile = "huge": must be one of: small, production$/,
  ],
  [
    "fewer DOKS nodes than spread controllers",
    "do",
    { controllerReplicas: 5, doNodeCount: 3, doMaxNodes: 5 },
    undefined,
    /^kafka-on-k8s:doNodeCount = "3": must be ≥ controllerReplicas \(5\) so each controller can sit on its own node$/,
  ],
  [
    "a topic named '..'",
    "dev",
    { topics: [{ name: "..", partitions: 1 }] },
    undefined,
    /^kafka-on-k8s:topics\[0\]\.\[name\] = .*Kafka does not allow the topic names '\.' and '\.\.'/,
  ],
  [
    "topics whose KafkaTopic names collide",
    "dev",
    {
      topics: [
        { name: "order_events", partitions: 1 },
        { name: "Order-Events", partitions: 1 },
      ],
    },
    undefined,
    /^kafka-on-k8s:topics = .*topics order_events and Order-Events both become the KafkaTopic name order-events; rename one/,
  ],
  [
    "a topic whose KafkaTopic name Kubernetes refuses",
    "dev",
    { topics: [{ name: "_internal", partitions: 1 }] },
    undefined,
    /^kafka-on-k8s:topics = .*topic _internal becomes the KafkaTopic name -internal, which Kubernetes refuses/,
  ],
  [
    "a topic config value of the wrong type",
    "dev",
    { topics: [{ name: "t", partitions: 1, config: { "retention.ms": "a week" } }] },
    undefined,
    /^kafka-on-k8s:topics = .*topic t \(#1\): config retention\.ms = "a week" must be a whole number/,
  ],
  [
    "a topic boolean config that is not a boolean",
    "dev",
    { topics: [{ name: "t", partitions: 1, config: { "unclean.leader.election.enable": "sometimes" } }] },
    undefined,
    /config unclean\.leader\.election\.enable = "sometimes" must be true or false/,
  ],
  [
    "more partitions than the bound",
    "dev",
    { topics: [{ name: "t", partitions: 20000 }] },
    undefined,
    /^kafka-on-k8s:topics\[0\]\.\[partitions\] = .*must be ≤ 10000 \(partition count\)/,
  ],
  ["an unbounded broker count", "do", { brokerReplicas: 5000 }, undefined, /^kafka-on-k8s:brokerReplicas = "5000": must be ≤ 1000/],
  ["more kind workers than a laptop runs", "dev", { kindWorkers: 50 }, undefined, /^kafka-on-k8s:kindWorkers = "50": must be ≤ 8/],
  ["an empty broker count (not 0)", "dev", { brokerReplicas: "" }, undefined, /^kafka-on-k8s:brokerReplicas = "": must not be empty/],
  ["an empty kind worker count", "dev", { kindWorkers: " " }, undefined, /^kafka-on-k8s:kindWorkers = " ": must not be empty/],
  [
    "a produce rate the app would refuse",
    "dev",
    { appProduceRate: "2000000" },
    undefined,
    /^kafka-on-k8s:appProduceRate = "2000000": must be ≤ 1000000 messages\/s \(the sample app's limit\) or max/,
  ],
  ["a zero storage size", "do", { storageSize: "0Gi" }, undefined, /^kafka-on-k8s:storageSize = "0Gi": must be more than zero/],
  [
    "a storage size with ephemeral storage",
    "dev",
    { storageSize: "20Gi" },
    undefined,
    /^kafka-on-k8s:storageSize = "20Gi": only applies to storageType=persistent-claim/,
  ],
  [
    "a Kafka name too long for Strimzi's derived names",
    "dev",
    { kafkaName: "k".repeat(48) },
    undefined,
    /^kafka-on-k8s:kafkaName = "k{48}": must be at most 47 characters: Strimzi names its bootstrap Service/,
  ],
  [
    "the same namespace for Strimzi and Kafka",
    "dev",
    { strimziNamespace: "kafka" },
    undefined,
    /^kafka-on-k8s:strimziNamespace = "kafka": must differ from kafkaNamespace/,
  ],
  [
    "a namespace that belongs to Kubernetes",
    "dev",
    { kafkaNamespace: "kube-system" },
    undefined,
    /^kafka-on-k8s:kafkaNamespace = "kube-system": must not be kube-system, which belongs to Kubernetes/,
  ],
  [
    "a namespace that belongs to Flux",
    "dev",
    { strimziNamespace: "flux-system" },
    undefined,
    /^kafka-on-k8s:strimziNamespace = "flux-system": must not be flux-system, which belongs to Flux/,
  ],
  [
    "anti-affinity kind cannot satisfy",
    "dev",
    { brokerAntiAffinity: true, brokerReplicas: 3, replicationFactor: 1 },
    undefined,
    /^kafka-on-k8s:brokerAntiAffinity = "true": needs one node per broker \(3\), but kind has 1 schedulable node\(s\); raise kindWorkers to 3/,
  ],
  [
    "a GitHub owner that is a URL",
    "dev",
    { fluxMode: "bootstrap-github", githubOwner: "https://github.com/acme", githubRepository: "fleet" },
    { "kafka-on-k8s:githubToken": "ghp_test" },
    /^kafka-on-k8s:githubOwner = "https:\/\/github\.com\/acme": must be a GitHub user or organisation name/,
  ],
  [
    "a GitHub repository given with its owner",
    "dev",
    { fluxMode: "bootstrap-github", githubOwner: "acme", githubRepository: "acme/fleet" },
    { "kafka-on-k8s:githubToken": "ghp_test" },
    /^kafka-on-k8s:githubRepository = "acme\/fleet": must be a GitHub repository name/,
  ],
  [
    "deleting volumes where there are none",
    "dev",
    { deleteVolumesOnDestroy: true },
    undefined,
    /^kafka-on-k8s:deleteVolumesOnDestroy = "true": only applies to storageType=persistent-claim or clusterKind=doks/,
  ],
  [
    "deleteVolumesOnDestroy not a boolean",
    "do",
    { deleteVolumesOnDestroy: "maybe" },
    undefined,
    /^kafka-on-k8s:deleteVolumesOnDestroy = "maybe": must be true or false/,
  ],
  ["DOKS without a token", "do", {}, {}, /^digitalocean:token = \(unset\): required for clusterKind=doks/],
  [
    "DOKS without a registry name",
    "do",
    { doRegistryName: undefined },
    undefined,
    /^kafka-on-k8s:doRegistryName = \(unset\): required for clusterKind=doks/,
  ],
  ["autoscaling with max below count", "do", { doMaxNodes: 2 }, undefined, /^kafka-on-k8s:doMaxNodes = "2": must be ≥ doNodeCount \(3\)$/],
  [
    "more consumer replicas than partitions",
    "do",
    { appMaxConsumerReplicas: 13 },
    undefined,
    /^kafka-on-k8s:appMaxConsumerReplicas = "13": must be ≤ the 12 partitions of topic demo-events: a consumer beyond them gets no partition and idles$/,
  ],
  [
    "a default maximum above a smaller app topic's partitions",
    "dev",
    { topics: [{ name: "t", partitions: 4 }] },
    undefined,
    /^kafka-on-k8s:appMaxConsumerReplicas = "6": must be ≤ the 4 partitions of topic t/,
  ],
  [
    "a consumer minimum above the maximum",
    "dev",
    { appMinConsumerReplicas: 5, appMaxConsumerReplicas: 4 },
    undefined,
    /^kafka-on-k8s:appMinConsumerReplicas = "5": must be ≤ appMaxConsumerReplicas \(4\)$/,
  ],
  [
    "zero minimum consumers (they serve the dashboard)",
    "dev",
    { appMinConsumerReplicas: 0 },
    undefined,
    /^kafka-on-k8s:appMinConsumerReplicas = "0": must be ≥ 1/,
  ],
  [
    "a starting consumer count outside the autoscaling bounds",
    "do",
    { appConsumerReplicas: 1 },
    undefined,
    /^kafka-on-k8s:appConsumerReplicas = "1": must be within appMinConsumerReplicas..appMaxConsumerReplicas \(2..12\) with appAutoscaling=true/,
  ],
  ["a zero lag threshold", "dev", { appLagThreshold: 0 }, undefined, /^kafka-on-k8s:appLagThreshold = "0": must be ≥ 1 \(message count\)/],
  [
    "a lag threshold that is not a number",
    "dev",
    { appLagThreshold: "lots" },
    undefined,
    /^kafka-on-k8s:appLagThreshold = "lots": must be a message count/,
  ],
  [
    "a scale-in window above KEDA's hour",
    "dev",
    { appScaleDownStabilizationSeconds: 4000 },
    undefined,
    /^kafka-on-k8s:appScaleDownStabilizationSeconds = "4000": must be ≤ 3600/,
  ],
  [
    "an autoscaling switch that is not a boolean",
    "dev",
    { appAutoscaling: "sometimes" },
    undefined,
    /^kafka-on-k8s:appAutoscaling = "sometimes": must be true or false$/,
  ],
  [
    "autoscaling settings with autoscaling off",
    "dev",
    { appAutoscaling: false },
    undefined,
    /^kafka-on-k8s:appMaxConsumerReplicas = "6": only applies with appAutoscaling=true$/,
  ],
  [
    "a KEDA chart version that is not exact",
    "dev",
    { kedaChartVersion: "2.20" },
    undefined,
    /^kafka-on-k8s:kedaChartVersion = "2.20": must be an exact version MAJOR.MINOR.PATCH/,
  ],
  [
    "a KEDA chart whose kafka trigger ignores sasl and tls in the ScaledObject",
    "do",
    { kedaChartVersion: "2.9.3" },
    undefined,
    /^kafka-on-k8s:kedaChartVersion = "2.9.3": must be ≥ 2\.10\.0, /,
  ],
  [
    "KEDA in the Kafka namespace",
    "dev",
    { kedaNamespace: "kafka" },
    undefined,
    /^kafka-on-k8s:kedaNamespace = "kafka": must differ from kafkaNamespace and strimziNamespace/,
  ],
  [
    "a monitoring switch that is not a boolean",
    "do",
    { monitoring: "yes please" },
    undefined,
    /^kafka-on-k8s:monitoring = "yes please": must be true or false$/,
  ],
  // zod's stringbool alone also takes y/n, yes/no, on/off, 1/0, enabled/disabled: "must be true or false" is the rule stated.
  ["a switch given as on", "dev", { appAutoscaling: "on" }, undefined, /^kafka-on-k8s:appAutoscaling = "on": must be true or false$/],
  [
    "app HTTP peers that are not a list",
    "dev",
    { appHttpPeers: { namespace: "ops" } },
    undefined,
    /^kafka-on-k8s:appHttpPeers = .*: must be a list of peers, each \{namespace, podLabels\?\}$/,
  ],
  [
    "an app HTTP peer without a namespace",
    "dev",
    { appHttpPeers: [{ podLabels: { app: "grafana" } }] },
    undefined,
    /^kafka-on-k8s:appHttpPeers\[0\]\.\[namespace\] = .*: required: the namespace of the peer's pods$/,
  ],
  [
    "an app HTTP peer in a namespace that is no DNS label",
    "do",
    { appHttpPeers: [{ namespace: "Ops" }] },
    undefined,
    /^kafka-on-k8s:appHttpPeers\[0\]\.\[namespace\] = .*: must be a DNS label/,
  ],
  [
    "an app HTTP peer with a label key Kubernetes refuses",
    "dev",
    { appHttpPeers: [{ namespace: "ops", podLabels: { "bad key": "x" } }] },
    undefined,
    /^kafka-on-k8s:appHttpPeers\[0\]\.\[podLabels\]\.\[bad key\] = .*: must be a label key/,
  ],
  [
    "an app HTTP peer with a label value Kubernetes refuses",
    "dev",
    { appHttpPeers: [{ namespace: "ops", podLabels: { app: "-grafana" } }] },
    undefined,
    /^kafka-on-k8s:appHttpPeers\[0\]\.\[podLabels\]\.\[app\] = .*: must be a label value/,
  ],
  [
    "an app HTTP peer with a field of another name",
    "dev",
    { appHttpPeers: [{ namespace: "ops", pods: { app: "grafana" } }] },
    undefined,
    /^kafka-on-k8s:appHttpPeers\[0\] = .*: unknown field pods: each peer is \{namespace, podLabels\?\}$/,
  ],
  ["a switch given as 0", "do", { doHa: "0" }, undefined, /^kafka-on-k8s:doHa = "0": must be true or false$/],
  [
    "a kube-prometheus-stack chart version that is not exact",
    "do",
    { monitoringChartVersion: "88" },
    undefined,
    /^kafka-on-k8s:monitoringChartVersion = "88": must be an exact version MAJOR.MINOR.PATCH/,
  ],
  [
    "a kube-prometheus-stack chart that ignores podMonitorSelectorNilUsesHelmValues",
    "do",
    { monitoringChartVersion: "63.1.0" },
    undefined,
    /^kafka-on-k8s:monitoringChartVersion = "63.1.0": must be ≥ 64\.0\.0, /,
  ],
  [
    "monitoring in KEDA's namespace",
    "do",
    { monitoringNamespace: "keda" },
    undefined,
    /^kafka-on-k8s:monitoringNamespace = "keda": must differ from kafkaNamespace, strimziNamespace and kedaNamespace and not be reserved/,
  ],
  [
    "monitoring in a reserved namespace",
    "do",
    { monitoringNamespace: "kube-system" },
    undefined,
    /^kafka-on-k8s:monitoringNamespace = "kube-system": must differ from .* not be reserved \(default, kube-system/,
  ],
  [
    "monitoring settings with monitoring off",
    "dev",
    { monitoringNamespace: "prom" },
    undefined,
    /^kafka-on-k8s:monitoringNamespace = "prom": only applies with monitoring=true$/,
  ],
];

describe("stack configuration", () => {
  it("accepts both committed stack files", () => {
    const dev = parse("dev", {});
    assert.strictEqual(dev.cluster.provider.kind, "kind");
    assert.strictEqual(dev.kafka.replicationFactor, 1);
    const doStack = parse("do", {});
    assert.strictEqual(doStack.cluster.provider.kind, "doks");
    assert.strictEqual(doStack.kafka.minInsyncReplicas, 2);
  });

  it("accepts each chart at its lowest usable version and at its pin", () => {
    const lowest = [chartMinimums.strimziChart.version, chartMinimums.kedaChart.version, chartMinimums.prometheusStackChart.version];
    const atLowest = parse("do", { strimziChartVersion: lowest[0], kedaChartVersion: lowest[1], monitoringChartVersion: lowest[2] });
    assert.deepStrictEqual([atLowest.strimzi.chartVersion, atLowest.keda?.chartVersion, atLowest.monitoring?.chartVersion], lowest);
    const atPin = parse("do", { strimziChartVersion: undefined, kedaChartVersion: undefined, monitoringChartVersion: undefined });
    assert.deepStrictEqual(
      [atPin.strimzi.chartVersion, atPin.keda?.chartVersion, atPin.monitoring?.chartVersion],
      [pinned.strimziChart, pinned.kedaChart, pinned.prometheusStackChart],
    );
  });

  it("derives replication factor and min.insync.replicas from the broker count", () => {
    const five = parse("do", { brokerReplicas: 5, replicationFactor: undefined, minInsyncReplicas: undefined, doNodeCount: 5 });
    assert.strictEqual(five.kafka.replicationFactor, 3);
    assert.strictEqual(five.kafka.minInsyncReplicas, 2);
    const one = parse("dev", {});
    assert.strictEqual(one.kafka.minInsyncReplicas, 1);
    assert.strictEqual(one.kafka.topics[0].config["min.insync.replicas"], 1);
  });

  for (const [what, stack, overrides, secrets, expected] of table) {
    it(`rejects ${what}`, () => {
      const problems = problemsOf(stack, overrides, secrets);
      assert.ok(
        problems.some((line) => expected.test(line)),
        `no problem matches ${expected}:\n${problems.join("\n")}`,
      );
    });
  }

  it("never echoes a secret, not even under a misspelt key", () => {
    const problems = problemsOf("dev", {}, { "kafka-on-k8s:githubTokn": "ghp_very_secret_value" });
    assert.ok(
      problems.some((line) => /^kafka-on-k8s:githubTokn = \[secret\]: unknown setting/.test(line)),
      problems.join("\n"),
    );
    assert.ok(!problems.join("\n").includes("ghp_very_secret_value"), "the secret's value was printed");
  });

  it("keeps accepting the good shapes: several topics, names with '_' and '.', 5 brokers in separate pools", () => {
    const config = parse("do", {
      brokerReplicas: 5,
      doNodeCount: 5,
      doMaxNodes: 6,
      controllerReplicas: 5,
      topics: [
        { name: "orders_v1", partitions: 12 },
        { name: "payments.eu", partitions: 6, config: { "retention.ms": 86400000 } },
        { name: "audit", partitions: 3, replicas: 5 },
      ],
    });
    assert.deepStrictEqual(
      config.kafka.topics.map((t) => t.name),
      ["orders_v1", "payments.eu", "audit"],
    );
    assert.strictEqual(config.kafka.brokerReplicas, 5);
    assert.strictEqual(config.kafka.controllerReplicas, 5);
  });

  it("admits no peer to the app's HTTP port unless the stack names some, and takes them as given", () => {
    assert.deepStrictEqual(parse("dev", {}).app.httpPeers, []);
    assert.deepStrictEqual(parse("do", {}).app.httpPeers, []);
    const peers = [{ namespace: "ops", podLabels: { "app.kubernetes.io/name": "grafana", tier: "" } }, { namespace: "batch" }];
    assert.deepStrictEqual(parse("dev", { appHttpPeers: peers }).app.httpPeers, peers);
  });

  it("reports every problem at once", () => {
    const problems = problemsOf("dev", { clusterKind: "eks", brokerReplicas: 0, storageType: "tmpfs" });
    assert.strictEqual(problems.length, 3, problems.join("\n"));
  });

  it("bounds the consumers by the app topic's partitions unless told, and leaves KEDA out when autoscaling is off", () => {
    const bounded = parse("dev", { appMinConsumerReplicas: undefined, appMaxConsumerReplicas: undefined, appLagThreshold: undefined });
    assert.deepStrictEqual(bounded.app.autoscaling, {
      minReplicas: 1,
      maxReplicas: 6,
      lagThreshold: 100,
      scaleDownStabilizationSeconds: 300,
    });
    assert.deepStrictEqual(bounded.keda, { chartVersion: "2.20.2", namespace: "keda" });
    const fixed = parse("dev", {
      appAutoscaling: false,
      appMinConsumerReplicas: undefined,
      appMaxConsumerReplicas: undefined,
      appLagThreshold: undefined,
    });
    assert.strictEqual(fixed.app.autoscaling, undefined);
    assert.strictEqual(fixed.keda, undefined);
  });

  it("turns monitoring on by default on doks only, with the pinned chart", () => {
    const unset = { monitoring: undefined };
    assert.deepStrictEqual(parse("do", unset).monitoring, { chartVersion: "88.5.3", namespace: "monitoring" });
    assert.strictEqual(parse("dev", unset).monitoring, undefined);
    assert.deepStrictEqual(parse("dev", { monitoring: true, monitoringNamespace: "prom" }).monitoring, {
      chartVersion: "88.5.3",
      namespace: "prom",
    });
    assert.strictEqual(parse("do", { monitoring: false }).monitoring, undefined);
  });

  it("declares no resource when the consumers could outnumber the partitions", async function () {
    this.timeout(60000);
    await assert.rejects(runProgram("do", { appMaxConsumerReplicas: 24 }), (e: Error) => {
      assert.match(e.message, /kafka-on-k8s:appMaxConsumerReplicas = "24": must be ≤ the 12 partitions/);
      assert.deepStrictEqual((e as Error & { declared: string[] }).declared, []);
      return true;
    });
  });

  it("declares no resource when the configuration is bad", async function () {
    this.timeout(60000);
    await assert.rejects(runProgram("dev", { brokerReplicas: -1, listenerAuth: "ldap" }), (e: Error) => {
      assert.match(e.message, /Invalid stack configuration \(2 problems\)/);
      assert.match(e.message, /kafka-on-k8s:listenerAuth = "ldap"/);
      assert.deepStrictEqual((e as Error & { declared: string[] }).declared, []);
      return true;
    });
  });
});
