// The Kafka cluster: its node pools, storage, listener, replication and its topics (topics.ts).
import { z } from "zod";
import { pinned, supportedKafkaVersions } from "./pinned";
import { Problems, Resolved } from "./problems";
import type { ParsedSettings } from "./schema";
import { resolveTopics, topicList, TopicSettings } from "./topics";
import { bool, dnsLabel, enumOf, positiveInt, quantity, refuseMinIsr, refuseReservedNamespace } from "./validators";

export type StorageType = "ephemeral" | "persistent-claim";
export type ListenerAuth = "none" | "scram-sha-512";
export type NodePoolLayout = "combined" | "separate";
export type ResourceProfile = "small" | "production";

/** The Kafka cluster and its topics. */
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
    /** Ephemeral (emptyDir) or persistent volume claims. */
    readonly type: StorageType;
    /** Size of each node's volume. */
    readonly size: string;
    /** Storage class of the claims; unset for ephemeral storage. */
    readonly class?: string;
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

/** The Kafka cluster's settings and their schema. */
export const kafkaShape = {
  kafkaName: dnsLabel.default("kafka"),
  kafkaNamespace: dnsLabel.default("kafka"),
  kafkaVersion: z
    .enum(supportedKafkaVersions, {
      error: `must be a Kafka version Strimzi ${pinned.strimziChart} supports: ${supportedKafkaVersions.join(", ")}`,
    })
    .default(pinned.kafka),
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
  topics: topicList.optional(),
};

/** Longest Kafka name for which Strimzi's derived names (`<name>-kafka-bootstrap`, 16 more) are DNS labels. */
const maxKafkaName = 63 - "-kafka-bootstrap".length;

/** The Kafka cluster and its topics; several defaults differ between kind and DOKS. */
export function resolveKafka(parsed: ParsedSettings): Resolved<KafkaSettings> {
  const s = parsed.values;
  const problems = new Problems(parsed);
  const doks = s.clusterKind === "doks";

  const controllerReplicas = s.nodePools === "combined" ? s.brokerReplicas : (s.controllerReplicas ?? 3);
  if (s.nodePools === "combined" && s.controllerReplicas !== undefined && s.controllerReplicas !== s.brokerReplicas) {
    problems.refuse(
      "controllerReplicas",
      `with nodePools=combined every broker is also a controller; leave it unset or set it to brokerReplicas (${s.brokerReplicas})`,
    );
  }
  if (controllerReplicas % 2 === 0) {
    problems.refuse(
      s.nodePools === "combined" ? "brokerReplicas" : "controllerReplicas",
      `the KRaft controller quorum must be odd (1, 3, 5) to tolerate failures; ${controllerReplicas} controllers tolerate no more than ${controllerReplicas - 1}`,
    );
  }
  const replicationFactor = s.replicationFactor ?? Math.min(s.brokerReplicas, 3);
  if (replicationFactor > s.brokerReplicas) {
    problems.refuse("replicationFactor", `must be ≤ brokerReplicas (${s.brokerReplicas}): each replica needs its own broker`);
  }
  const minInsyncReplicas = s.minInsyncReplicas ?? Math.max(1, replicationFactor - 1);
  refuseMinIsr(problems, "minInsyncReplicas", minInsyncReplicas, replicationFactor, "replication factor");
  const topics = resolveTopics(parsed, { brokerReplicas: s.brokerReplicas, replicationFactor, minInsyncReplicas });
  problems.found.push(...topics.problems);

  if (s.storageType === "ephemeral") {
    problems.refuseGiven(["storageClass", "storageSize"], "only applies to storageType=persistent-claim");
  }
  if (/^0+(\.0+)?[A-Za-z]*$/.test(s.storageSize)) {
    problems.refuse("storageSize", "must be more than zero");
  }
  // Strimzi derives object names such as <kafkaName>-kafka-bootstrap, which must stay DNS labels.
  if (s.kafkaName.length > maxKafkaName) {
    problems.refuse(
      "kafkaName",
      `must be at most ${maxKafkaName} characters: Strimzi names its bootstrap Service ${s.kafkaName}-kafka-bootstrap, which must fit in 63`,
    );
  }
  refuseReservedNamespace(problems, "kafkaNamespace", s.kafkaNamespace);
  if (s.deleteVolumesOnDestroy && s.storageType === "ephemeral" && !doks) {
    problems.refuse("deleteVolumesOnDestroy", "only applies to storageType=persistent-claim or clusterKind=doks: nothing else has volumes");
  }

  return {
    settings: {
      name: s.kafkaName,
      namespace: s.kafkaNamespace,
      version: s.kafkaVersion,
      nodePools: s.nodePools,
      controllerReplicas,
      brokerReplicas: s.brokerReplicas,
      storage: {
        type: s.storageType,
        size: s.storageSize,
        class: s.storageClass ?? (s.storageType === "persistent-claim" ? (doks ? "do-block-storage" : "standard") : undefined),
        deleteClaim: s.deleteVolumesOnDestroy,
      },
      auth: s.listenerAuth,
      replicationFactor,
      minInsyncReplicas,
      brokerAntiAffinity: s.brokerAntiAffinity ?? doks,
      topics: topics.settings,
      resourceProfile: s.resourceProfile ?? (doks ? "production" : "small"),
    },
    problems: problems.found,
  };
}
