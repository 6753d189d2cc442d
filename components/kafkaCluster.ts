import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { KafkaSettings } from "./config";

const apiVersion = "kafka.strimzi.io/v1";

export interface KafkaClusterArgs {
    /** Cluster, pools, storage, auth, topics. */
    readonly settings: KafkaSettings;
    /** The Strimzi HelmRelease: Ready means the CRDs and the operator exist. */
    readonly operator: pulumi.Resource;
    /** Name of the KafkaUser to create for the sample app when auth is on. */
    readonly appUser: string;
    /** Consumer group id the app user may join. */
    readonly appGroup: string;
    /** Topic the app user may read and write. */
    readonly appTopic: string;
}

/** How clients reach the cluster from inside Kubernetes. */
export interface KafkaConnection {
    /** host:port of the bootstrap service. */
    readonly bootstrapServers: string;
    /** Secret and key of the cluster CA certificate when the listener uses TLS. */
    readonly tlsCaSecret?: { readonly name: string; readonly key: string };
    /** SCRAM user name and the Secret (key `password`) the User Operator writes, when auth is on. */
    readonly scram?: { readonly username: string; readonly passwordSecret: string };
}

// Strimzi sets Ready only once the operator has rolled the cluster; pulumi-kubernetes waits for it.
const waitReady = (timeoutSeconds: number) => ({
    "pulumi.com/waitFor": "condition=Ready",
    "pulumi.com/timeoutSeconds": String(timeoutSeconds),
});

/**
 * A KRaft Kafka cluster managed by Strimzi: node pools, the Kafka resource, topics and, where
 * listeners authenticate, a SCRAM user with ACLs for the sample app.
 */
export class KafkaCluster extends pulumi.ComponentResource {
    /** The Kafka resource; Ready means brokers and controllers are up. */
    public readonly kafka: k8s.apiextensions.CustomResource;
    /** Topic names as Kafka knows them. */
    public readonly topicNames: string[];
    /** Connection details for clients in the cluster. */
    public readonly connection: KafkaConnection;
    /** Resources an app must wait for before connecting (the Kafka cluster, topics, user). */
    public readonly readyFor: pulumi.Resource[];

    constructor(name: string, args: KafkaClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("kafka-on-k8s:kafka:KafkaCluster", name, {}, opts);
        const s = args.settings;
        const clusterLabel = { "strimzi.io/cluster": s.name };
        const childOpts = (dependsOn: pulumi.Resource[]) => ({ parent: this, dependsOn });

        const storage = s.storage.type === "ephemeral"
            ? { type: "ephemeral" }
            : { type: "persistent-claim", size: s.storage.size, class: s.storage.class, deleteClaim: s.storage.deleteClaim };
        // Brokers on distinct nodes, so losing a node loses at most one replica of each partition.
        const brokerAntiAffinity = s.brokerAntiAffinity ? {
            template: {
                pod: {
                    affinity: {
                        podAntiAffinity: {
                            requiredDuringSchedulingIgnoredDuringExecution: [{
                                labelSelector: { matchLabels: { ...clusterLabel, "strimzi.io/broker-role": "true" } },
                                topologyKey: "kubernetes.io/hostname",
                            }],
                        },
                    },
                },
            },
        } : {};
        const pools = s.nodePools === "combined"
            ? [{ pool: "dual-role", roles: ["controller", "broker"], replicas: s.brokerReplicas, extra: brokerAntiAffinity }]
            : [
                { pool: "controllers", roles: ["controller"], replicas: s.controllerReplicas, extra: {} },
                { pool: "brokers", roles: ["broker"], replicas: s.brokerReplicas, extra: brokerAntiAffinity },
            ];
        const nodePools = pools.map(p => new k8s.apiextensions.CustomResource(`${name}-${p.pool}`, {
            apiVersion,
            kind: "KafkaNodePool",
            metadata: { name: p.pool, namespace: s.namespace, labels: clusterLabel },
            spec: { replicas: p.replicas, roles: p.roles, storage, ...p.extra },
        }, childOpts([args.operator])));

        const scram = s.auth === "scram-sha-512";
        const listener = scram
            ? { name: "tls", port: 9093, type: "internal", tls: true, authentication: { type: "scram-sha-512" } }
            : { name: "plain", port: 9092, type: "internal", tls: false };

        this.kafka = new k8s.apiextensions.CustomResource(`${name}-cluster`, {
            apiVersion,
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
                entityOperator: { topicOperator: {}, userOperator: {} },
            },
        }, childOpts([args.operator, ...nodePools]));

        const topics = s.topics.map(t => new k8s.apiextensions.CustomResource(`${name}-topic-${t.name}`, {
            apiVersion,
            kind: "KafkaTopic",
            metadata: {
                // Kafka allows '.' and '_' in names, Kubernetes does not: spec.topicName keeps the real one.
                name: t.name.toLowerCase().replace(/[^a-z0-9.-]/g, "-"),
                namespace: s.namespace,
                labels: clusterLabel,
                annotations: waitReady(300),
            },
            spec: { topicName: t.name, partitions: t.partitions, replicas: t.replicas, config: t.config },
        }, childOpts([this.kafka])));
        this.topicNames = s.topics.map(t => t.name);

        const user = scram ? new k8s.apiextensions.CustomResource(`${name}-user-${args.appUser}`, {
            apiVersion,
            kind: "KafkaUser",
            metadata: { name: args.appUser, namespace: s.namespace, labels: clusterLabel, annotations: waitReady(300) },
            spec: {
                authentication: { type: "scram-sha-512" },
                authorization: {
                    type: "simple",
                    acls: [
                        { resource: { type: "topic", name: args.appTopic }, operations: ["Describe", "Read", "Write"] },
                        { resource: { type: "group", name: args.appGroup }, operations: ["Describe", "Read"] },
                    ],
                },
            },
        }, childOpts([this.kafka])) : undefined;

        this.connection = {
            bootstrapServers: `${s.name}-kafka-bootstrap.${s.namespace}.svc:${listener.port}`,
            tlsCaSecret: scram ? { name: `${s.name}-cluster-ca-cert`, key: "ca.crt" } : undefined,
            scram: scram ? { username: args.appUser, passwordSecret: args.appUser } : undefined,
        };
        this.readyFor = [this.kafka, ...topics, ...(user ? [user] : [])];

        this.registerOutputs({ bootstrapServers: this.connection.bootstrapServers, topicNames: this.topicNames });
    }
}
