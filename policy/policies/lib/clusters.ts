import { PolicyResource } from "@pulumi/policy";
import { clusterKey, KAFKA, KAFKA_NODE_POOL, KAFKA_TOPIC, knownKubernetesObjects, poolRoles, toInteger } from "./resources";

/** The Strimzi objects of one Kafka cluster, as a stack policy sees them. */
export interface KafkaClusterResources {
  /** `namespace/name` of the cluster. */
  readonly key: string;
  /** The `Kafka` resource, if this stack declares it. */
  readonly kafka?: PolicyResource;
  /** Node pools labelled with this cluster. */
  readonly pools: PolicyResource[];
  /** Topics labelled with this cluster. */
  readonly topics: PolicyResource[];
}

/**
 * Groups Kafkas, node pools and topics by cluster (namespace + `strimzi.io/cluster`), so a stack with
 * several Kafka clusters is checked cluster by cluster. Pools and topics without the label belong to
 * no cluster (Strimzi ignores them) and are left out. Throws `notKnownYet` when the engine does not know
 * the Strimzi objects' properties yet (first preview), rather than reading them as unset.
 */
export function kafkaClusters(resources: readonly PolicyResource[]): KafkaClusterResources[] {
  const strimzi = knownKubernetesObjects(resources.filter((r) => [KAFKA, KAFKA_NODE_POOL, KAFKA_TOPIC].includes(r.type)));
  const clusters = new Map<string, { -readonly [K in keyof KafkaClusterResources]: KafkaClusterResources[K] }>();
  const clusterOf = (key: string) => {
    const existing = clusters.get(key);
    if (existing) {
      return existing;
    }
    clusters.set(key, { key, pools: [], topics: [] });
    return clusters.get(key)!;
  };
  for (const resource of strimzi) {
    const key = clusterKey(resource);
    if (key === undefined) {
      continue;
    }
    const cluster = clusterOf(key);
    if (resource.type === KAFKA) {
      cluster.kafka = resource;
    } else if (resource.type === KAFKA_NODE_POOL) {
      cluster.pools.push(resource);
    } else {
      cluster.topics.push(resource);
    }
  }
  return [...clusters.values()];
}

/** Node pools of a cluster that run brokers. */
export function brokerPools(cluster: KafkaClusterResources): PolicyResource[] {
  return cluster.pools.filter((pool) => poolRoles(pool).includes("broker"));
}

/** Sum of the replicas of the given pools (a non-integer count contributes nothing). */
export function totalReplicas(pools: readonly PolicyResource[]): number {
  return pools.reduce((sum, pool) => {
    const replicas = toInteger(pool.props.spec?.replicas);
    return Number.isNaN(replicas) ? sum : sum + replicas;
  }, 0);
}
