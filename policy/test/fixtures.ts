// Builders for the resources the policies read, shaped like the program's (see notes/contracts.md).
// Each builder produces a compliant production (do) resource; tests override what they break. The type
// tokens are spelled out here rather than imported from the pack, so a wrong token in the pack fails.
import { TestResource } from "./harness";

export const KAFKA = "kubernetes:kafka.strimzi.io/v1:Kafka";
export const KAFKA_NODE_POOL = "kubernetes:kafka.strimzi.io/v1:KafkaNodePool";
export const KAFKA_TOPIC = "kubernetes:kafka.strimzi.io/v1:KafkaTopic";
export const HELM_RELEASE = "kubernetes:helm.toolkit.fluxcd.io/v2:HelmRelease";
export const OCI_REPOSITORY = "kubernetes:source.toolkit.fluxcd.io/v1:OCIRepository";
export const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
export const DOKS_CLUSTER = "digitalocean:index/kubernetesCluster:KubernetesCluster";
export const SCALED_OBJECT = "kubernetes:keda.sh/v1alpha1:ScaledObject";

/** Where a Strimzi object lives. */
export interface Placement {
  /** Kafka cluster name (`strimzi.io/cluster`). */
  readonly cluster?: string;
  /** Namespace. */
  readonly namespace?: string;
}

const strimziMetadata = (name: string, { cluster = "kafka", namespace = "kafka" }: Placement) => ({
  name,
  namespace,
  labels: { "strimzi.io/cluster": cluster },
});

/** Required one-broker-per-node anti-affinity, as the program sets it on do. */
export const perNodeAntiAffinity = {
  pod: {
    affinity: {
      podAntiAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: [
          {
            labelSelector: { matchLabels: { "strimzi.io/cluster": "kafka", "strimzi.io/broker-role": "true" } },
            topologyKey: "kubernetes.io/hostname",
          },
        ],
      },
    },
  },
};

/** A KafkaNodePool (3 persistent replicas). */
export function nodePool(name: string, roles: string[], spec: Record<string, unknown> = {}, placement: Placement = {}): TestResource {
  return {
    type: KAFKA_NODE_POOL,
    name: `kafka-pool-${name}`,
    props: {
      apiVersion: "kafka.strimzi.io/v1",
      kind: "KafkaNodePool",
      metadata: strimziMetadata(name, placement),
      spec: {
        replicas: 3,
        roles,
        storage: { type: "persistent-claim", size: "20Gi", class: "do-block-storage", deleteClaim: false },
        ...spec,
      },
    },
  };
}

/** A Kafka cluster with RF 3 / min ISR 2. */
export function kafka(config: Record<string, unknown> = {}, { cluster = "kafka", namespace = "kafka" }: Placement = {}): TestResource {
  return {
    type: KAFKA,
    name: `${cluster}-cluster`,
    props: {
      apiVersion: "kafka.strimzi.io/v1",
      kind: "Kafka",
      metadata: { name: cluster, namespace },
      spec: {
        kafka: {
          version: "4.1.0",
          listeners: [{ name: "plain", port: 9092, type: "internal", tls: false }],
          config: {
            "default.replication.factor": 3,
            "offsets.topic.replication.factor": 3,
            "transaction.state.log.replication.factor": 3,
            "transaction.state.log.min.isr": 2,
            "min.insync.replicas": 2,
            ...config,
          },
        },
        entityOperator: { topicOperator: {}, userOperator: {} },
      },
    },
  };
}

/** A KafkaTopic (12 partitions, 3 replicas). */
export function topic(name: string, spec: Record<string, unknown> = {}, placement: Placement = {}): TestResource {
  return {
    type: KAFKA_TOPIC,
    name: `kafka-topic-${name}`,
    props: {
      apiVersion: "kafka.strimzi.io/v1",
      kind: "KafkaTopic",
      metadata: strimziMetadata(name, placement),
      spec: { topicName: name, partitions: 12, replicas: 3, ...spec },
    },
  };
}

/** The Strimzi OCIRepository pinned to tag 1.2.0. */
export function ociRepository(
  ref: Record<string, unknown> = { tag: "1.2.0" },
  url = "oci://quay.io/strimzi-helm/strimzi-kafka-operator",
): TestResource {
  return {
    type: OCI_REPOSITORY,
    name: "strimzi-chart",
    props: {
      apiVersion: "source.toolkit.fluxcd.io/v1",
      kind: "OCIRepository",
      metadata: { name: "strimzi-chart", namespace: "flux-system" },
      spec: {
        interval: "1h",
        url,
        ref,
        layerSelector: { mediaType: "application/vnd.cncf.helm.chart.content.v1.tar+gzip", operation: "copy" },
      },
    },
  };
}

/** The Strimzi HelmRelease using chartRef to the OCIRepository. */
export function helmRelease(spec: Record<string, unknown> = {}, name = "strimzi-operator"): TestResource {
  return {
    type: HELM_RELEASE,
    name,
    props: {
      apiVersion: "helm.toolkit.fluxcd.io/v2",
      kind: "HelmRelease",
      metadata: { name, namespace: "flux-system", annotations: { "pulumi.com/waitFor": "condition=Ready" } },
      spec: {
        interval: "10m",
        chartRef: { kind: "OCIRepository", name: "strimzi-chart" },
        targetNamespace: "strimzi-system",
        install: { crds: "CreateReplace" },
        upgrade: { crds: "CreateReplace" },
        values: { replicas: 2, watchNamespaces: ["kafka"], resources: { requests: { cpu: "100m", memory: "384Mi" } } },
        ...spec,
      },
    },
  };
}

/** The same release installed from a HelmRepository with the version on the HelmRelease. */
export function helmRepositoryRelease(version: unknown): TestResource {
  const release = helmRelease({
    chart: { spec: { chart: "strimzi-kafka-operator", version, sourceRef: { kind: "HelmRepository", name: "strimzi" } } },
  });
  delete release.props.spec.chartRef;
  return release;
}

/** One container of the sample app. */
export function container(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: "app",
    image: "registry.digitalocean.com/kafka-on-k8s/sample-app:3f9c2ab1",
    env: [
      { name: "KAFKA_BROKERS", value: "kafka-kafka-bootstrap.kafka.svc:9092" },
      { name: "KAFKA_TOPIC", value: "demo-events" },
    ],
    resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "256Mi" } },
    securityContext: { runAsNonRoot: true, runAsUser: 10001, readOnlyRootFilesystem: true },
    ...overrides,
  };
}

/** A sample-app Deployment (producer or consumer) with 2 replicas. */
export function deployment(
  component: "producer" | "consumer",
  spec: Record<string, unknown> = {},
  podSpec: Record<string, unknown> = {},
  labels: Record<string, string> = {},
): TestResource {
  const name = `sample-app-${component}`;
  const appLabels = { "app.kubernetes.io/name": "kafka-sample-app", "app.kubernetes.io/component": component, ...labels };
  return {
    type: DEPLOYMENT,
    name,
    props: {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name, namespace: "kafka", labels: appLabels },
      spec: {
        replicas: 2,
        selector: { matchLabels: appLabels },
        template: { metadata: { labels: appLabels }, spec: { containers: [container()], ...podSpec } },
        ...spec,
      },
    },
  };
}

/** A DOKS cluster whose node pool has the given size fields (3 fixed nodes by default). */
export function doksCluster(nodePool: Record<string, unknown> = { nodeCount: 3 }): TestResource {
  return {
    type: DOKS_CLUSTER,
    name: "kafka-do-cluster",
    props: {
      name: "kafka-do",
      region: "ams3",
      version: "1.35.1-do.0",
      nodePool: { name: "kafka-do-pool", size: "s-4vcpu-8gb", ...nodePool },
    },
  };
}

/** A KEDA ScaledObject scaling the sample-app consumers on demo-events (1..12, the topic's partitions). */
export function scaledObject(spec: Record<string, unknown> = {}, trigger: Record<string, string> = {}): TestResource {
  return {
    type: SCALED_OBJECT,
    name: "sample-app-scaler-scaledobject",
    props: {
      apiVersion: "keda.sh/v1alpha1",
      kind: "ScaledObject",
      metadata: { name: "sample-app-consumer", namespace: "kafka" },
      spec: {
        scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "sample-app-consumer" },
        minReplicaCount: 2,
        maxReplicaCount: 12,
        triggers: [
          {
            type: "kafka",
            metadata: {
              bootstrapServers: "kafka-kafka-bootstrap.kafka.svc:9093",
              consumerGroup: "sample-app",
              topic: "demo-events",
              lagThreshold: "100",
              ...trigger,
            },
          },
        ],
        ...spec,
      },
    },
  };
}
