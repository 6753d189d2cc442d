// The one place that reads stack configuration. Everything downstream takes the typed StackConfig,
// so a bad value is reported here, all problems at once, before a single resource is declared.
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";

/** Versions this program is built and tested against; each is a setting's default. */
export const pinned = {
    /** kind CLI that creates the dev cluster (workflows install the same). */
    kind: "v0.31.0",
    /** Node image kind v0.31.0 ships by default, by digest so a re-tag upstream cannot change it. */
    kindNodeImages: {
        "1.35.0": "kindest/node:v1.35.0@sha256:452d707d4862f52530247495d180205e029056831160e22870e37e3f6c1ac31f",
    } as Record<string, string>,
    kubernetes: "1.35.0",
    flux: "2.9.4",
    strimziChart: "1.2.0",
    kedaChart: "2.20.2",
    /** kube-prometheus-stack chart (Prometheus operator v0.93.1, Grafana), installed when monitoring is on. */
    prometheusStackChart: "88.5.3",
    kafka: "4.3.1",
} as const;

/** Kafka versions the Strimzi 1.2.0 operator can run (from its release notes and CRDs). */
export const supportedKafkaVersions = ["4.2.0", "4.2.1", "4.3.0", "4.3.1"] as const;

export type FluxMode = "install" | "bootstrap-github";
export type StorageType = "ephemeral" | "persistent-claim";
export type ListenerAuth = "none" | "scram-sha-512";
export type NodePoolLayout = "combined" | "separate";
export type ResourceProfile = "small" | "production";

export interface KindSettings {
    readonly kind: "kind";
    /** Worker nodes besides the control plane. */
    readonly workers: number;
    /** Pinned kindest/node image. */
    readonly nodeImage: string;
}

export interface DoksSettings {
    readonly kind: "doks";
    /** DigitalOcean region slug, e.g. ams3. */
    readonly region: string;
    /** Droplet size slug of the node pool. */
    readonly nodeSize: string;
    /** Node count (the minimum when autoscaling). */
    readonly nodeCount: number;
    /** Let DOKS add nodes up to maxNodes. */
    readonly autoscale: boolean;
    /** Upper bound when autoscaling. */
    readonly maxNodes: number;
    /** Highly available control plane. */
    readonly ha: boolean;
    /** DigitalOcean Container Registry the sample-app image is pushed to. */
    readonly registryName: string;
    /** Create the registry (an account has at most one) or use an existing one. */
    readonly createRegistry: boolean;
    /** API token: builds the kubeconfig (DOKS accepts it; the downloaded one expires in 7 days). */
    readonly token: pulumi.Output<string>;
    /** Delete the cluster's volumes (and load balancers) with it, instead of leaving them billed. */
    readonly destroyVolumes: boolean;
}

export interface ClusterSettings {
    /** Cluster name: the kind cluster or the DOKS cluster. */
    readonly name: string;
    /** Kubernetes version: exact for kind, a MAJOR.MINOR prefix or DO slug for DOKS. */
    readonly kubernetesVersion: string;
    /** Provider-specific settings. */
    readonly provider: KindSettings | DoksSettings;
}

export interface FluxSettings {
    /** `flux install`, or `flux bootstrap github` to manage Flux from a Git repository. */
    readonly mode: FluxMode;
    /** Flux version the CLI installs (without the leading v). */
    readonly version: string;
    /** GitHub settings, present only for bootstrap-github. */
    readonly github?: {
        readonly owner: string;
        readonly repository: string;
        readonly branch: string;
        readonly path: string;
        readonly personal: boolean;
        readonly token: pulumi.Output<string>;
    };
}

export interface StrimziSettings {
    /** Exact Strimzi operator chart version. */
    readonly chartVersion: string;
    /** Operator replicas (leader election makes more than one safe). */
    readonly replicas: number;
    /** Namespace the operator runs in. */
    readonly namespace: string;
    /** Namespaces the operator watches for Kafka resources. */
    readonly watchNamespaces: string[];
}

export interface TopicSettings {
    /** Kafka topic name. */
    readonly name: string;
    /** Partition count: the upper bound on useful consumer replicas. */
    readonly partitions: number;
    /** Replication factor. */
    readonly replicas: number;
    /** Topic-level Kafka configuration. */
    readonly config: Record<string, string | number | boolean>;
}

export interface KafkaSettings {
    /** Name of the Kafka resource (and prefix of its pods and services). */
    readonly name: string;
    /** Namespace of the Kafka cluster, its topics, users and the sample app. */
    readonly namespace: string;
    /** Kafka version. */
    readonly version: string;
    /** One dual-role pool, or separate controller and broker pools. */
    readonly nodePools: NodePoolLayout;
    /** Controller replicas (equal to brokers when combined). */
    readonly controllerReplicas: number;
    /** Broker replicas. */
    readonly brokerReplicas: number;
    /** Storage of every node. */
    readonly storage: {
        readonly type: StorageType; readonly size: string; readonly class?: string;
        /** Let Strimzi delete the volume claims when the Kafka cluster is deleted. */
        readonly deleteClaim: boolean;
    };
    /** Listener authentication: none (plain 9092) or SCRAM-SHA-512 over TLS 9093 with ACLs. */
    readonly auth: ListenerAuth;
    /** Default replication factor of new and internal topics. */
    readonly replicationFactor: number;
    /** min.insync.replicas of the cluster. */
    readonly minInsyncReplicas: number;
    /** Require brokers (and separate controllers) on distinct nodes. */
    readonly brokerAntiAffinity: boolean;
    /** CPU/memory requests, limits and JVM heap of the Kafka pods: small for a laptop, production for DOKS. */
    readonly resourceProfile: ResourceProfile;
    /** Topics to declare. */
    readonly topics: TopicSettings[];
}

export interface KedaSettings {
    /** Exact KEDA chart version. */
    readonly chartVersion: string;
    /** Namespace the KEDA operator runs in. */
    readonly namespace: string;
}

export interface MonitoringSettings {
    /** Exact kube-prometheus-stack chart version. */
    readonly chartVersion: string;
    /** Namespace of Prometheus, Grafana and the Prometheus operator. */
    readonly namespace: string;
}

export interface ConsumerAutoscaling {
    /** Fewest consumer replicas KEDA keeps (≥ 1: the consumers serve the dashboard). */
    readonly minReplicas: number;
    /** Most consumer replicas KEDA asks for; never above the topic's partitions. */
    readonly maxReplicas: number;
    /** Consumer-group lag per replica that KEDA's kafka trigger aims for. */
    readonly lagThreshold: number;
    /** How long KEDA's HPA waits on lower recommendations before scaling in. */
    readonly scaleDownStabilizationSeconds: number;
}

export interface SampleAppSettings {
    /** Topic the app produces to and consumes from. */
    readonly topic: string;
    /** Producer Deployment replicas. */
    readonly producerReplicas: number;
    /** Consumer Deployment replicas at creation; KEDA owns the count afterwards when autoscaling is on. */
    readonly consumerReplicas: number;
    /** Consumers scaled on lag by KEDA, or undefined for a fixed count. */
    readonly autoscaling?: ConsumerAutoscaling;
    /** Messages/s per producer, or "max". */
    readonly produceRate: string;
}

export interface StackConfig {
    /** Pulumi project name. */
    readonly project: string;
    /** Pulumi stack name. */
    readonly stack: string;
    /** Kubernetes cluster. */
    readonly cluster: ClusterSettings;
    /** Flux installation. */
    readonly flux: FluxSettings;
    /** Strimzi operator release. */
    readonly strimzi: StrimziSettings;
    /** Kafka cluster. */
    readonly kafka: KafkaSettings;
    /** KEDA release, present only when the consumers autoscale. */
    readonly keda?: KedaSettings;
    /** Sample app deployment. */
    readonly app: SampleAppSettings;
    /** Prometheus and Grafana with the Kafka and app scrapes, present only when monitoring is on. */
    readonly monitoring?: MonitoringSettings;
}

/** Thrown with every problem found, each naming the key, the value and what is allowed. */
export class ConfigError extends Error {
    constructor(readonly problems: string[]) {
        super(`Invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
            problems.map(p => `  - ${p}`).join("\n"));
        this.name = "ConfigError";
    }
}

/** What the program needs from Pulumi's config: plain values by key, secrets as outputs. */
export interface ConfigSource {
    /** Project name (the config namespace). */
    readonly project: string;
    /** Stack name. */
    readonly stack: string;
    /** Every config value, keyed `namespace:key`, as Pulumi stores them (objects as JSON text). */
    readonly values: Record<string, string>;
    /** Keys whose values are secrets. */
    readonly secretKeys: string[];
}

// Pulumi hands every value over as text; an empty one would coerce to 0 and slip through as a number.
const numberText = (error: string) => z.union([z.number(), z.string().trim().min(1, { error: "must not be empty" })])
    .pipe(z.coerce.number({ error }));
const positiveInt = (what: string, max = 1_000) => numberText(`must be a ${what}`)
    .refine(Number.isInteger, { error: `must be a whole number (${what})` })
    .refine(n => n >= 1, { error: `must be ≥ 1 (${what})` })
    .refine(n => n <= max, { error: `must be ≤ ${max} (${what})` });
const nonNegativeInt = (max: number) => numberText("must be a whole number ≥ 0")
    .refine(n => Number.isInteger(n) && n >= 0, { error: "must be a whole number ≥ 0" })
    .refine(n => n <= max, { error: `must be ≤ ${max}` });
const bool = z.stringbool({ error: "must be true or false" });
const semver = z.string().regex(/^\d+\.\d+\.\d+$/, { error: "must be an exact version MAJOR.MINOR.PATCH, e.g. 1.2.0" });
const quantity = z.string().regex(/^\d+(\.\d+)?(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$/, {
    error: "must be a Kubernetes quantity such as 10Gi or 500Mi",
});
const dnsLabel = z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, {
    error: "must be a DNS label: lower-case letters, digits and '-', at most 63 characters",
});
const enumOf = <T extends string>(values: readonly [T, ...T[]]) =>
    z.enum(values, { error: `must be one of: ${values.join(", ")}` });
const jsonText = <T extends z.ZodType>(schema: T) => z.string().transform((text, ctx) => {
    try {
        return JSON.parse(text) as unknown;
    } catch {
        ctx.addIssue({ code: "custom", message: "must be a YAML/JSON list or object" });
        return z.NEVER;
    }
}).pipe(schema);

const topicSchema = z.object({
    name: z.string().regex(/^[a-zA-Z0-9._-]{1,249}$/, {
        error: "must be 1–249 characters of letters, digits, '.', '_' or '-'",
    }).refine(n => n !== "." && n !== "..", { error: "Kafka does not allow the topic names '.' and '..'" }),
    partitions: positiveInt("partition count", 10_000),
    replicas: positiveInt("replication factor").optional(),
    config: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
}, { error: "each topic must be an object with name, partitions, and optionally replicas and config" }).strict();

/** Every setting: its schema, with defaults filled in for the dev stack. */
const settingsSchema = z.object({
    clusterKind: enumOf(["kind", "doks"]).default("kind"),
    clusterName: dnsLabel.optional(),
    kubernetesVersion: z.string().optional(),
    kindWorkers: nonNegativeInt(8).default(1),
    doRegion: z.string().regex(/^[a-z]{3}\d$/, { error: "must be a DigitalOcean region slug such as ams3, fra1, nyc1" }).default("ams3"),
    doNodeSize: z.string().regex(/^[a-z0-9-]+$/, { error: "must be a Droplet size slug such as s-4vcpu-8gb" }).default("s-4vcpu-8gb"),
    doNodeCount: positiveInt("node count").optional(),
    doAutoscale: bool.default(false),
    doMaxNodes: positiveInt("node count").optional(),
    doHa: bool.default(false),
    doRegistryName: dnsLabel.optional(),
    doRegistryCreate: bool.default(true),
    fluxMode: enumOf(["install", "bootstrap-github"]).default("install"),
    fluxVersion: semver.default(pinned.flux),
    githubOwner: z.string().regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,37}[A-Za-z0-9])?$/, {
        error: "must be a GitHub user or organisation name: letters, digits and inner '-', at most 39 characters",
    }).optional(),
    githubRepository: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, {
        error: "must be a GitHub repository name (letters, digits, '.', '_', '-'), without the owner",
    }).optional(),
    githubBranch: z.string().min(1).default("main"),
    githubPath: z.string().min(1).optional(),
    githubPersonal: bool.default(true),
    strimziChartVersion: semver.default(pinned.strimziChart),
    strimziReplicas: positiveInt("replica count").default(1),
    strimziNamespace: dnsLabel.default("strimzi-system"),
    kafkaName: dnsLabel.default("kafka"),
    kafkaNamespace: dnsLabel.default("kafka"),
    kafkaVersion: z.enum(supportedKafkaVersions, {
        error: `must be a Kafka version Strimzi ${pinned.strimziChart} supports: ${supportedKafkaVersions.join(", ")}`,
    }).default(pinned.kafka),
    nodePools: enumOf(["combined", "separate"]).default("combined"),
    controllerReplicas: positiveInt("replica count").optional(),
    brokerReplicas: positiveInt("replica count").default(1),
    storageType: enumOf(["ephemeral", "persistent-claim"]).default("ephemeral"),
    storageSize: quantity.default("10Gi"),
    storageClass: z.string().min(1).optional(),
    deleteVolumesOnDestroy: bool.default(false),
    listenerAuth: enumOf(["none", "scram-sha-512"]).default("none"),
    replicationFactor: positiveInt("replication factor").optional(),
    minInsyncReplicas: positiveInt("replica count").optional(),
    brokerAntiAffinity: bool.optional(),
    resourceProfile: enumOf(["small", "production"]).optional(),
    topics: jsonText(z.array(topicSchema, { error: "must be a list of topics" })
        .min(1, { error: "must name at least one topic" })).optional(),
    appTopic: z.string().min(1).optional(),
    appProducerReplicas: positiveInt("replica count").default(1),
    appConsumerReplicas: positiveInt("replica count").default(2),
    // The app's own limit (sample-app PRODUCE_RATE): above it every pod would exit at start.
    appProduceRate: z.string().regex(/^(max|\d+)$/, { error: "must be a whole number of messages/s or max" })
        .refine(v => v === "max" || Number(v) <= 1_000_000, { error: "must be ≤ 1000000 messages/s (the sample app's limit) or max" })
        .default("100"),
    appAutoscaling: bool.default(true),
    appMinConsumerReplicas: positiveInt("replica count").optional(),
    appMaxConsumerReplicas: positiveInt("replica count", 10_000).optional(),
    appLagThreshold: positiveInt("message count", 1_000_000).optional(),
    appScaleDownStabilizationSeconds: nonNegativeInt(3600).optional(),
    kedaChartVersion: semver.default(pinned.kedaChart),
    kedaNamespace: dnsLabel.default("keda"),
    // Default depends on clusterKind (on for doks, off for kind), decided below.
    monitoring: bool.optional(),
    monitoringChartVersion: semver.default(pinned.prometheusStackChart),
    monitoringNamespace: dnsLabel.default("monitoring"),
}).strict();

type Settings = z.infer<typeof settingsSchema>;

/** Longest Kafka name for which Strimzi's derived names (`<name>-kafka-bootstrap`, 16 more) are DNS labels. */
const maxKafkaName = 63 - "-kafka-bootstrap".length;
/** Namespaces the stack must not take over: Kubernetes' own and Flux's. */
const reservedNamespaces = ["default", "kube-system", "kube-public", "kube-node-lease", "flux-system"];
/** Types of the topic-level Kafka settings the program can check before Kafka does. */
const topicConfigTypes: Record<string, "integer" | "boolean"> = {
    "retention.ms": "integer", "retention.bytes": "integer", "segment.bytes": "integer", "segment.ms": "integer",
    "min.insync.replicas": "integer", "max.message.bytes": "integer", "min.compaction.lag.ms": "integer",
    "delete.retention.ms": "integer", "unclean.leader.election.enable": "boolean", "preallocate": "boolean",
};

/** The KafkaTopic object name of a topic: Kafka allows '_' and capitals, Kubernetes does not. */
export function kafkaTopicName(topic: string): string {
    return topic.toLowerCase().replace(/[^a-z0-9.-]/g, "-");
}
const settingNames = Object.keys(settingsSchema.shape) as (keyof Settings)[];

const show = (value: unknown) => value === undefined ? "(unset)" : JSON.stringify(value);

/**
 * Validates a stack's configuration and returns the typed settings the components take.
 * Throws ConfigError listing every problem; nothing is declared before this returns.
 */
export function parseConfig(source: ConfigSource, secret: (key: string) => pulumi.Output<string> | undefined): StackConfig {
    const prefix = `${source.project}:`;
    const raw: Record<string, string> = {};
    const problems: string[] = [];
    for (const [fullKey, value] of Object.entries(source.values)) {
        if (!fullKey.startsWith(prefix)) continue;
        const key = fullKey.slice(prefix.length);
        if (key === "githubToken") continue; // a secret, read below
        raw[key] = value;
    }
    // A value set with --secret is never echoed, not even under a misspelt key.
    const shown = (key: string, value: unknown) => source.secretKeys.includes(`${prefix}${key}`) ? "[secret]" : show(value);
    const known = new Set<string>([...settingNames, "githubToken"]);
    for (const key of Object.keys(raw).filter(k => !known.has(k))) {
        problems.push(`${prefix}${key} = ${shown(key, raw[key])}: unknown setting; known settings: ${[...known].sort().join(", ")}`);
        delete raw[key];
    }
    const parsed = settingsSchema.safeParse(raw);
    if (!parsed.success) {
        for (const issue of parsed.error.issues) {
            const [key, ...rest] = issue.path.map(String);
            const where = rest.length ? `${prefix}${key}[${rest.join("].[")}]` : `${prefix}${key}`;
            problems.push(`${where} = ${shown(key, raw[key])}: ${issue.message}`);
        }
        throw new ConfigError(problems);
    }
    const s = parsed.data;
    const problem = (key: string, message: string) =>
        problems.push(`${prefix}${key} = ${shown(key, raw[key] ?? (s as Record<string, unknown>)[key])}: ${message}`);

    const doks = s.clusterKind === "doks";
    const kubernetesVersion = s.kubernetesVersion ?? (doks ? "1.35" : pinned.kubernetes);
    if (doks && !/^\d+\.\d+(\.\d+-do\.\d+)?$/.test(kubernetesVersion)) {
        problem("kubernetesVersion", "must be a MAJOR.MINOR prefix (e.g. 1.35) or a DigitalOcean slug (e.g. 1.35.1-do.0)");
    }
    if (!doks && !/^\d+\.\d+\.\d+$/.test(kubernetesVersion)) {
        problem("kubernetesVersion", "must be an exact version MAJOR.MINOR.PATCH for kind, e.g. 1.35.0");
    }

    const controllerReplicas = s.nodePools === "combined" ? s.brokerReplicas : (s.controllerReplicas ?? 3);
    if (s.nodePools === "combined" && s.controllerReplicas !== undefined && s.controllerReplicas !== s.brokerReplicas) {
        problem("controllerReplicas", `with nodePools=combined every broker is also a controller; leave it unset or set it to brokerReplicas (${s.brokerReplicas})`);
    }
    if (controllerReplicas % 2 === 0) {
        problem(s.nodePools === "combined" ? "brokerReplicas" : "controllerReplicas",
            `the KRaft controller quorum must be odd (1, 3, 5) to tolerate failures; ${controllerReplicas} controllers tolerate no more than ${controllerReplicas - 1}`);
    }
    const replicationFactor = s.replicationFactor ?? Math.min(s.brokerReplicas, 3);
    if (replicationFactor > s.brokerReplicas) {
        problem("replicationFactor", `must be ≤ brokerReplicas (${s.brokerReplicas}): each replica needs its own broker`);
    }
    const minInsyncReplicas = s.minInsyncReplicas ?? Math.max(1, replicationFactor - 1);
    const checkMinIsr = (key: string, minIsr: number, rf: number, label: string) => {
        if (rf > 1 && minIsr >= rf) {
            problem(key, `min.insync.replicas (${minIsr}) must be below the ${label} (${rf}) so that one broker may fail without stopping writes`);
        } else if (minIsr > rf) {
            problem(key, `min.insync.replicas (${minIsr}) must be ≤ the ${label} (${rf})`);
        }
    };
    checkMinIsr("minInsyncReplicas", minInsyncReplicas, replicationFactor, "replication factor");

    const topics: TopicSettings[] = (s.topics ?? [{ name: "demo-events", partitions: 6 }]).map((t, i) => {
        const replicas = t.replicas ?? replicationFactor;
        if (replicas > s.brokerReplicas) {
            problem("topics", `topic ${t.name} (#${i + 1}): replicas ${replicas} must be ≤ brokerReplicas (${s.brokerReplicas})`);
        }
        const config = { ...(t.config ?? {}) };
        const topicMinIsr = config["min.insync.replicas"];
        if (topicMinIsr !== undefined) {
            checkMinIsr("topics", Number(topicMinIsr), replicas, `replicas of topic ${t.name}`);
        } else {
            config["min.insync.replicas"] = Math.min(minInsyncReplicas, replicas);
        }
        return { name: t.name, partitions: t.partitions, replicas, config };
    });
    const names = topics.map(t => t.name);
    for (const dup of names.filter((n, i) => names.indexOf(n) !== i)) {
        problem("topics", `topic ${dup} is declared more than once`);
    }
    // Each topic is a KafkaTopic object whose name is derived from the topic's (see kafkaTopicName).
    const objectNames = new Map<string, string>();
    for (const name of new Set(names)) {
        const objectName = kafkaTopicName(name);
        if (!/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(objectName)) {
            problem("topics", `topic ${name} becomes the KafkaTopic name ${objectName}, which Kubernetes refuses; start and end it with a letter or digit`);
        }
        const other = objectNames.get(objectName);
        if (other !== undefined) {
            problem("topics", `topics ${other} and ${name} both become the KafkaTopic name ${objectName}; rename one`);
        }
        objectNames.set(objectName, name);
    }
    for (const [i, t] of topics.entries()) {
        for (const [key, value] of Object.entries(t.config)) {
            const expected = topicConfigTypes[key];
            if (expected === "integer" && !(Number.isInteger(Number(value)) && String(value).trim() !== "" && Number(value) >= -1)) {
                problem("topics", `topic ${t.name} (#${i + 1}): config ${key} = ${JSON.stringify(value)} must be a whole number`);
            } else if (expected === "boolean" && !["true", "false"].includes(String(value))) {
                problem("topics", `topic ${t.name} (#${i + 1}): config ${key} = ${JSON.stringify(value)} must be true or false`);
            }
        }
    }
    const appTopic = s.appTopic ?? topics[0].name;
    if (!names.includes(appTopic)) problem("appTopic", `must be one of the declared topics: ${names.join(", ")}`);

    let autoscaling: ConsumerAutoscaling | undefined;
    const autoscalingKeys = ["appMinConsumerReplicas", "appMaxConsumerReplicas", "appLagThreshold",
        "appScaleDownStabilizationSeconds", "kedaChartVersion", "kedaNamespace"] as const;
    if (s.appAutoscaling) {
        // A consumer beyond the partition count gets no partition and idles: the topic bounds the maximum.
        const partitions = topics.find(t => t.name === appTopic)?.partitions ?? 1;
        const minReplicas = s.appMinConsumerReplicas ?? 1;
        const maxReplicas = s.appMaxConsumerReplicas ?? partitions;
        if (maxReplicas > partitions) {
            problem("appMaxConsumerReplicas", `must be ≤ the ${partitions} partitions of topic ${appTopic}: a consumer beyond them gets no partition and idles`);
        }
        if (minReplicas > maxReplicas) {
            problem("appMinConsumerReplicas", `must be ≤ appMaxConsumerReplicas (${maxReplicas})`);
        }
        if (s.appConsumerReplicas < minReplicas || s.appConsumerReplicas > maxReplicas) {
            problem("appConsumerReplicas", `must be within appMinConsumerReplicas..appMaxConsumerReplicas (${minReplicas}..${maxReplicas}) with appAutoscaling=true: it is the count KEDA starts from`);
        }
        if ([s.kafkaNamespace, s.strimziNamespace].includes(s.kedaNamespace) || reservedNamespaces.includes(s.kedaNamespace)) {
            problem("kedaNamespace", `must differ from kafkaNamespace and strimziNamespace and not be reserved (${reservedNamespaces.join(", ")}): KEDA gets its own namespace`);
        }
        autoscaling = {
            minReplicas, maxReplicas, lagThreshold: s.appLagThreshold ?? 100,
            scaleDownStabilizationSeconds: s.appScaleDownStabilizationSeconds ?? 300,
        };
    } else {
        for (const key of autoscalingKeys.filter(k => raw[k] !== undefined)) {
            problem(key, "only applies with appAutoscaling=true");
        }
    }

    // Prometheus, Grafana and their operator are several more pods: on by default on DOKS, off on a laptop.
    const monitoring = s.monitoring ?? doks;
    if (monitoring) {
        const taken = [s.kafkaNamespace, s.strimziNamespace, ...(s.appAutoscaling ? [s.kedaNamespace] : [])];
        if (taken.includes(s.monitoringNamespace) || reservedNamespaces.includes(s.monitoringNamespace)) {
            problem("monitoringNamespace", `must differ from kafkaNamespace, strimziNamespace${s.appAutoscaling ? " and kedaNamespace" : ""} and not be reserved (${reservedNamespaces.join(", ")}): Prometheus and Grafana get their own namespace`);
        }
    } else {
        for (const key of (["monitoringChartVersion", "monitoringNamespace"] as const).filter(k => raw[k] !== undefined)) {
            problem(key, "only applies with monitoring=true");
        }
    }

    if (s.storageType === "ephemeral" && s.storageClass) {
        problem("storageClass", "only applies to storageType=persistent-claim");
    }
    if (s.storageType === "ephemeral" && raw.storageSize !== undefined) {
        problem("storageSize", "only applies to storageType=persistent-claim");
    }
    if (/^0+(\.0+)?[A-Za-z]*$/.test(s.storageSize)) {
        problem("storageSize", "must be more than zero");
    }
    // Strimzi derives object names such as <kafkaName>-kafka-bootstrap, which must stay DNS labels.
    if (s.kafkaName.length > maxKafkaName) {
        problem("kafkaName", `must be at most ${maxKafkaName} characters: Strimzi names its bootstrap Service ${s.kafkaName}-kafka-bootstrap, which must fit in 63`);
    }
    if (s.strimziNamespace === s.kafkaNamespace) {
        problem("strimziNamespace", "must differ from kafkaNamespace: the Strimzi chart fails with duplicate RoleBindings when it watches its own namespace");
    }
    for (const key of ["strimziNamespace", "kafkaNamespace"] as const) {
        if (reservedNamespaces.includes(s[key])) {
            problem(key, `must not be ${s[key]}, which belongs to ${s[key] === "flux-system" ? "Flux" : "Kubernetes"}; reserved: ${reservedNamespaces.join(", ")}`);
        }
    }
    if (s.deleteVolumesOnDestroy && s.storageType === "ephemeral" && !doks) {
        problem("deleteVolumesOnDestroy", "only applies to storageType=persistent-claim or clusterKind=doks: nothing else has volumes");
    }
    const secretSetting = (key: string, requiredFor?: string) => {
        if (source.values[key] !== undefined && !source.secretKeys.includes(key)) {
            problems.push(`${key} = (plain text): must be a secret; set it with \`pulumi config set --secret ${key} <value>\``);
        }
        const value = secret(key);
        if (!value && requiredFor) {
            problems.push(`${key} = (unset): required for ${requiredFor}; set it with \`pulumi config set --secret ${key} <value>\``);
        }
        return value ?? pulumi.output("");
    };

    const clusterName = s.clusterName ?? `kafka-${source.stack}`.toLowerCase().replace(/[^a-z0-9-]/g, "-");
    let provider: KindSettings | DoksSettings;
    if (doks) {
        const nodeCount = s.doNodeCount ?? Math.max(3, s.brokerReplicas);
        const maxNodes = s.doMaxNodes ?? nodeCount;
        if (nodeCount < s.brokerReplicas) {
            problem("doNodeCount", `must be ≥ brokerReplicas (${s.brokerReplicas}) so each broker can sit on its own node`);
        }
        if (s.nodePools === "separate" && (s.brokerAntiAffinity ?? true) && nodeCount < controllerReplicas) {
            problem("doNodeCount", `must be ≥ controllerReplicas (${controllerReplicas}) so each controller can sit on its own node`);
        }
        if (s.doAutoscale && maxNodes < nodeCount) problem("doMaxNodes", `must be ≥ doNodeCount (${nodeCount})`);
        if (!s.doAutoscale && s.doMaxNodes !== undefined) problem("doMaxNodes", "only applies with doAutoscale=true");
        const token = process.env.DIGITALOCEAN_TOKEN && source.values["digitalocean:token"] === undefined
            ? pulumi.secret(process.env.DIGITALOCEAN_TOKEN)
            : secretSetting("digitalocean:token", "clusterKind=doks (or set DIGITALOCEAN_TOKEN)");
        if (!s.doRegistryName) problem("doRegistryName", "required for clusterKind=doks: the DigitalOcean Container Registry the sample-app image is pushed to");
        provider = {
            kind: "doks", region: s.doRegion, nodeSize: s.doNodeSize, nodeCount, autoscale: s.doAutoscale,
            maxNodes, ha: s.doHa, registryName: s.doRegistryName ?? "", createRegistry: s.doRegistryCreate,
            token, destroyVolumes: s.deleteVolumesOnDestroy,
        };
    } else {
        for (const key of settingNames.filter(k => k.startsWith("do") && raw[k] !== undefined)) {
            problem(key, "only applies to clusterKind=doks");
        }
        // kind keeps pods off its control-plane node once there are workers.
        const schedulable = s.kindWorkers === 0 ? 1 : s.kindWorkers;
        const spread = s.nodePools === "combined" ? s.brokerReplicas : Math.max(s.brokerReplicas, controllerReplicas);
        if (s.brokerAntiAffinity && spread > schedulable) {
            problem("brokerAntiAffinity", `needs one node per ${s.nodePools === "combined" ? "broker" : "broker and per controller"} (${spread}), ` +
                `but kind has ${schedulable} schedulable node(s); raise kindWorkers to ${spread} or turn it off`);
        }
        provider = {
            kind: "kind", workers: s.kindWorkers,
            nodeImage: pinned.kindNodeImages[kubernetesVersion] ?? `kindest/node:v${kubernetesVersion}`,
        };
    }

    let github: FluxSettings["github"];
    const githubToken = secretSetting(`${prefix}githubToken`, s.fluxMode === "bootstrap-github" ? "fluxMode=bootstrap-github" : undefined);
    if (s.fluxMode === "bootstrap-github") {
        if (!s.githubOwner) problem("githubOwner", "required for fluxMode=bootstrap-github: the GitHub user or organisation");
        if (!s.githubRepository) problem("githubRepository", "required for fluxMode=bootstrap-github: the repository Flux commits its manifests to");
        github = {
            owner: s.githubOwner ?? "", repository: s.githubRepository ?? "", branch: s.githubBranch,
            path: s.githubPath ?? `clusters/${source.stack}`, personal: s.githubPersonal,
            token: githubToken,
        };
    } else {
        for (const key of ["githubOwner", "githubRepository", "githubPath"] as const) {
            if (s[key] !== undefined) problem(key, "only applies to fluxMode=bootstrap-github");
        }
    }

    if (problems.length) throw new ConfigError(problems);
    return {
        project: source.project,
        stack: source.stack,
        cluster: { name: clusterName, kubernetesVersion, provider },
        flux: { mode: s.fluxMode, version: s.fluxVersion, github },
        strimzi: {
            chartVersion: s.strimziChartVersion, replicas: s.strimziReplicas, namespace: s.strimziNamespace,
            watchNamespaces: [s.kafkaNamespace],
        },
        kafka: {
            name: s.kafkaName, namespace: s.kafkaNamespace, version: s.kafkaVersion, nodePools: s.nodePools,
            controllerReplicas, brokerReplicas: s.brokerReplicas,
            storage: {
                type: s.storageType, size: s.storageSize,
                class: s.storageClass ?? (s.storageType === "persistent-claim" ? (doks ? "do-block-storage" : "standard") : undefined),
                deleteClaim: s.deleteVolumesOnDestroy,
            },
            auth: s.listenerAuth, replicationFactor, minInsyncReplicas,
            brokerAntiAffinity: s.brokerAntiAffinity ?? doks, topics,
            resourceProfile: s.resourceProfile ?? (doks ? "production" : "small"),
        },
        app: {
            topic: appTopic, producerReplicas: s.appProducerReplicas, consumerReplicas: s.appConsumerReplicas,
            produceRate: s.appProduceRate, autoscaling,
        },
        keda: autoscaling ? { chartVersion: s.kedaChartVersion, namespace: s.kedaNamespace } : undefined,
        monitoring: monitoring ? { chartVersion: s.monitoringChartVersion, namespace: s.monitoringNamespace } : undefined,
    };
}

/** Reads the running stack's configuration through Pulumi and validates it. */
export function loadConfig(): StackConfig {
    const project = pulumi.getProject();
    const values = pulumi.runtime.allConfig();
    // isConfigSecret is exported by the runtime but not typed; it is how `pulumi config set --secret` shows.
    const runtime = pulumi.runtime as unknown as { isConfigSecret(key: string): boolean };
    const secretKeys = Object.keys(values).filter(k => runtime.isConfigSecret(k));
    return parseConfig({ project, stack: pulumi.getStack(), values, secretKeys }, fullKey => {
        const [namespace, key] = fullKey.split(":");
        return new pulumi.Config(namespace).getSecret(key);
    });
}
