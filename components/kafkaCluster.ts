import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { kafkaTopicName, KafkaSettings, ResourceProfile } from "./config";

/** API version of the Strimzi custom resources the program and its clients declare. */
export const kafkaApiVersion = "kafka.strimzi.io/v1";

export interface KafkaClusterArgs {
  /** Cluster, pools, storage, auth, topics. */
  readonly settings: KafkaSettings;
  /** The Strimzi HelmRelease: Ready means the CRDs and the operator exist. */
  readonly operator: pulumi.Resource;
  /** Pods allowed to reach the listener (Strimzi writes the NetworkPolicy). */
  readonly clients: KafkaClientPods[];
  /** Consumer groups and topics whose lag Strimzi's Kafka Exporter serves to Prometheus; unset: no exporter. */
  readonly lagExporter?: LagExporterScope;
}

/** What Kafka Exporter reports on: only the groups and topics someone graphs, the rest is noise. */
export interface LagExporterScope {
  /** Consumer group ids. */
  readonly groups: readonly string[];
  /** Topic names. */
  readonly topics: readonly string[];
}

/** A regex matching exactly the given names. */
const exactly = (names: readonly string[]): string => `^(${names.map(escapeRegex).join("|")})$`;

/** Pods allowed to reach the Kafka listener. */
export interface KafkaClientPods {
  /** Labels of the pods. */
  readonly podLabels: Record<string, string>;
  /** Their namespace, when it is not the Kafka cluster's. */
  readonly namespace?: string;
}

/** How clients reach the cluster from inside Kubernetes. */
export interface KafkaConnection {
  /** host:port of the bootstrap service. */
  readonly bootstrapServers: string;
  /** Secret and key of the cluster CA certificate when the listener uses TLS. */
  readonly tlsCaSecret?: { readonly name: string; readonly key: string };
  /** SCRAM user name and the Secret (key `password`) the User Operator writes, when auth is on (see KafkaClient). */
  readonly scram?: { readonly username: string; readonly passwordSecret: string };
  /** Labels of the Kafka cluster's pods and the listener port, for clients' egress NetworkPolicies. */
  readonly podLabels: Record<string, string>;
  /** Listener port. */
  readonly port: number;
}

type Resources = { requests: { cpu: string; memory: string }; limits: { memory: string } };
const sized = (cpu: string, memory: string): Resources => ({ requests: { cpu, memory }, limits: { memory } });

/**
 * Requests equal to the memory limit (no overcommit, so Kafka pods are not the first evicted) and a heap of
 * about half of it, leaving the rest to the page cache Kafka relies on. production fits one broker and one
 * controller per s-4vcpu-8gb node beside the system pods.
 */
const profiles: Record<
  ResourceProfile,
  { broker: Resources; brokerHeap: string; controller: Resources; controllerHeap: string; entityOperator: Resources }
> = {
  small: {
    broker: sized("250m", "1Gi"),
    brokerHeap: "512m",
    controller: sized("100m", "512Mi"),
    controllerHeap: "256m",
    entityOperator: sized("50m", "256Mi"),
  },
  production: {
    broker: sized("1", "4Gi"),
    brokerHeap: "2g",
    controller: sized("250m", "1Gi"),
    controllerHeap: "512m",
    entityOperator: sized("100m", "512Mi"),
  },
};

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

// Strimzi sets Ready only once the operator has rolled the cluster; pulumi-kubernetes waits for it.
export const waitReady = (timeoutSeconds: number) => ({
  "pulumi.com/waitFor": "condition=Ready",
  "pulumi.com/timeoutSeconds": String(timeoutSeconds),
});

/**
 * A KRaft Kafka cluster managed by Strimzi: node pools, the Kafka resource and topics. Clients declare
 * their own users and ACLs (KafkaClient), so the cluster knows none of them.
 */
export class KafkaCluster extends pulumi.ComponentResource {
  /** The Kafka resource; Ready means brokers and controllers are up. */
  public readonly kafka: k8s.apiextensions.CustomResource;
  /** Topic names as Kafka knows them. */
  public readonly topicNames: string[];
  /** Connection details for clients in the cluster, without credentials (each client has its own). */
  public readonly connection: KafkaConnection;
  /** Resources a client must wait for before connecting (the Kafka cluster, topics). */
  public readonly readyFor: pulumi.Resource[];
  /** Namespace of the cluster, where its User Operator reads KafkaUsers. */
  public readonly namespace: string;
  /** Labels that put a KafkaUser under this cluster's User Operator. */
  public readonly userLabels: Record<string, string>;
  /** Whether the listener authenticates with SCRAM-SHA-512 and authorises by ACLs, so clients need a KafkaUser. */
  public readonly scram: boolean;
  /** Labels Strimzi puts on every pod of this cluster: brokers, controllers, Kafka Exporter, entity operator. */
  public readonly podLabels: Record<string, string>;

  constructor(name: string, args: KafkaClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kafka-on-k8s:kafka:KafkaCluster", name, {}, opts);
    const s = args.settings;
    const clusterLabel = { "strimzi.io/cluster": s.name };
    // Strimzi labels each node pool's pods by the roles they have.
    const roleLabels = (role: "broker" | "controller") => ({ ...clusterLabel, [`strimzi.io/${role}-role`]: "true" });
    this.podLabels = { "strimzi.io/kind": "Kafka", ...clusterLabel };
    const childOpts = (dependsOn: pulumi.Resource[]) => ({ parent: this, dependsOn });

    const storage =
      s.storage.type === "ephemeral"
        ? { type: "ephemeral" }
        : { type: "persistent-claim", size: s.storage.size, class: s.storage.class, deleteClaim: s.storage.deleteClaim };
    // Brokers on distinct nodes, so losing a node loses at most one replica of each partition; controllers
    // too, since two of three on one node lose the quorum with it. Strimzi labels pods by role.
    const spread = (role: "broker" | "controller") =>
      s.brokerAntiAffinity
        ? {
            template: {
              pod: {
                affinity: {
                  podAntiAffinity: {
                    requiredDuringSchedulingIgnoredDuringExecution: [
                      {
                        labelSelector: { matchLabels: roleLabels(role) },
                        topologyKey: "kubernetes.io/hostname",
                      },
                    ],
                  },
                },
              },
            },
          }
        : {};
    const profile = profiles[s.resourceProfile];
    const heap = (size: string) => ({ "-Xms": size, "-Xmx": size });
    const pools =
      s.nodePools === "combined"
        ? [
            {
              pool: "dual-role",
              roles: ["controller", "broker"],
              replicas: s.brokerReplicas,
              spread: spread("broker"),
              resources: profile.broker,
              heap: profile.brokerHeap,
            },
          ]
        : [
            {
              pool: "controllers",
              roles: ["controller"],
              replicas: s.controllerReplicas,
              spread: spread("controller"),
              resources: profile.controller,
              heap: profile.controllerHeap,
            },
            {
              pool: "brokers",
              roles: ["broker"],
              replicas: s.brokerReplicas,
              spread: spread("broker"),
              resources: profile.broker,
              heap: profile.brokerHeap,
            },
          ];
    const nodePools = pools.map(
      (p) =>
        new k8s.apiextensions.CustomResource(
          `${name}-${p.pool}`,
          {
            apiVersion: kafkaApiVersion,
            kind: "KafkaNodePool",
            metadata: { name: p.pool, namespace: s.namespace, labels: clusterLabel },
            spec: { replicas: p.replicas, roles: p.roles, storage, resources: p.resources, jvmOptions: heap(p.heap), ...p.spread },
          },
          childOpts([args.operator]),
        ),
    );

    const scram = s.auth === "scram-sha-512";
    this.scram = scram;
    this.namespace = s.namespace;
    this.userLabels = clusterLabel;
    // Only the listed client pods may reach the listener; Strimzi turns the peers into a NetworkPolicy.
    // A pod selector alone matches the Kafka namespace only; pods elsewhere need their namespace named too.
    const networkPolicyPeers = args.clients.map((c) => ({
      ...(c.namespace ? { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": c.namespace } } } : {}),
      podSelector: { matchLabels: c.podLabels },
    }));
    const listener = scram
      ? { name: "tls", port: 9093, type: "internal", tls: true, authentication: { type: "scram-sha-512" }, networkPolicyPeers }
      : { name: "plain", port: 9092, type: "internal", tls: false, networkPolicyPeers };

    this.kafka = new k8s.apiextensions.CustomResource(
      `${name}-cluster`,
      {
        apiVersion: kafkaApiVersion,
        kind: "Kafka",
        metadata: { name: s.name, namespace: s.namespace, annotations: waitReady(1200) },
        spec: {
          kafka: {
            version: s.version,
            listeners: [listener],
            ...(scram ? { authorization: { type: "simple" } } : {}),
            config: {
              "default.replication.factor": s.replicationFactor,
              "offsets.topic.replication.factor": s.replicationFactor,
              "transaction.state.log.replication.factor": s.replicationFactor,
              "transaction.state.log.min.isr": s.minInsyncReplicas,
              "min.insync.replicas": s.minInsyncReplicas,
              // Topics come from KafkaTopic resources only, so state and cluster agree.
              "auto.create.topics.enable": false,
            },
            // Exposes broker metrics in Prometheus format without a JMX exporter ConfigMap.
            metricsConfig: {
              type: "strimziMetricsReporter",
              values: { allowList: ["kafka_server.*", "kafka_controller.*", "kafka_network.*", "kafka_log.*"] },
            },
          },
          entityOperator: {
            topicOperator: { resources: profile.entityOperator },
            userOperator: { resources: profile.entityOperator },
          },
          // Lag per group and partition, from the same offsets KEDA's kafka trigger reads, for Grafana
          // to graph beside the consumer replicas.
          ...(args.lagExporter
            ? {
                kafkaExporter: {
                  groupRegex: exactly(args.lagExporter.groups),
                  topicRegex: exactly(args.lagExporter.topics),
                  resources: sized("50m", "128Mi"),
                },
              }
            : {}),
        },
      },
      childOpts([args.operator, ...nodePools]),
    );

    // Kafka cannot remove partitions, and without Cruise Control Strimzi cannot change a topic's
    // replication factor: the API server refuses both, so `pulumi preview` (a server-side dry run) fails
    // before anything changes instead of leaving a topic NotReady after the rest of the update.
    const guardName = `${s.namespace}-${s.name}-topic-guard`;
    const topicKey = `${pulumi.getProject()}:topics`;
    const guard = new k8s.admissionregistration.v1.ValidatingAdmissionPolicy(
      `${name}-topic-guard`,
      {
        metadata: { name: guardName },
        spec: {
          failurePolicy: "Fail",
          matchConstraints: {
            namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": s.namespace } },
            resourceRules: [{ apiGroups: ["kafka.strimzi.io"], apiVersions: ["*"], operations: ["UPDATE"], resources: ["kafkatopics"] }],
          },
          validations: [
            {
              expression:
                "!has(oldObject.spec.partitions) || (has(object.spec.partitions) && object.spec.partitions >= oldObject.spec.partitions)",
              messageExpression: `'${topicKey}: topic ' + oldObject.spec.topicName + ' has ' + string(oldObject.spec.partitions) + ' partitions and Kafka cannot remove partitions: keep partitions at ' + string(oldObject.spec.partitions) + ' or more'`,
              reason: "Invalid",
            },
            {
              expression: "!has(oldObject.spec.replicas) || (has(object.spec.replicas) && object.spec.replicas == oldObject.spec.replicas)",
              messageExpression: `'${topicKey}: topic ' + oldObject.spec.topicName + ' has ' + string(oldObject.spec.replicas) + ' replicas, which Strimzi cannot change without Cruise Control: keep replicas at ' + string(oldObject.spec.replicas) + ', or create a new topic'`,
              reason: "Invalid",
            },
          ],
        },
      },
      { parent: this },
    );
    const guardBinding = new k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding(
      `${name}-topic-guard-binding`,
      { metadata: { name: guardName }, spec: { policyName: guard.metadata.name, validationActions: ["Deny"] } },
      { parent: this },
    );

    const topics = s.topics.map(
      (t) =>
        new k8s.apiextensions.CustomResource(
          `${name}-topic-${t.name}`,
          {
            apiVersion: kafkaApiVersion,
            kind: "KafkaTopic",
            metadata: {
              // spec.topicName keeps the real name; config refused names that collide or Kubernetes rejects.
              name: kafkaTopicName(t.name),
              namespace: s.namespace,
              labels: clusterLabel,
              annotations: waitReady(300),
            },
            spec: { topicName: t.name, partitions: t.partitions, replicas: t.replicas, config: t.config },
          },
          childOpts([this.kafka, guardBinding]),
        ),
    );
    this.topicNames = s.topics.map((t) => t.name);

    this.connection = {
      bootstrapServers: `${s.name}-kafka-bootstrap.${s.namespace}.svc:${listener.port}`,
      tlsCaSecret: scram ? { name: `${s.name}-cluster-ca-cert`, key: "ca.crt" } : undefined,
      podLabels: roleLabels("broker"),
      port: listener.port,
    };
    this.readyFor = [this.kafka, ...topics];

    this.registerOutputs({ bootstrapServers: this.connection.bootstrapServers, topicNames: this.topicNames });
  }
}
