import * as digitalocean from "@pulumi/digitalocean";
import { ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { minBrokers } from "./settings";

/** Config of `doks-node-count`. */
export interface DoksNodeCountConfig {
    /** Minimum nodes the default pool always has (one per broker). */
    readonly minBrokers: number;
}

/** The node-pool fields that decide how many nodes the cluster always has. */
export interface NodePoolSize {
    /** Fixed node count (without autoscaling). */
    readonly nodeCount?: number;
    /** Whether the autoscaler manages the pool. */
    readonly autoScale?: boolean;
    /** Lower bound of the autoscaler. */
    readonly minNodes?: number;
}

/**
 * Nodes a DOKS node pool always has: `minNodes` under autoscaling (it may shrink to that), otherwise
 * `nodeCount`. 0 when neither is set, which is what the check should see.
 */
export function guaranteedNodes(pool: NodePoolSize | undefined): number {
    return (pool?.autoScale ? pool.minNodes : pool?.nodeCount) ?? 0;
}

/** Human-readable name of the field `guaranteedNodes` read. */
export function nodeCountField(pool: NodePoolSize | undefined): string {
    return pool?.autoScale ? "nodePool.minNodes (autoScale)" : "nodePool.nodeCount";
}

/** 8. The DOKS default node pool always has at least `minBrokers` nodes, one per broker. */
export const doksNodeCount: ResourceValidationPolicy = {
    name: "doks-node-count",
    description: "The DOKS node pool keeps at least minBrokers nodes (nodeCount, or minNodes with autoscale).",
    configSchema: { properties: { minBrokers } },
    validateResource: validateResourceOfType(digitalocean.KubernetesCluster, (cluster, args, reportViolation) => {
        const config = args.getConfig<DoksNodeCountConfig>();
        const nodes = guaranteedNodes(cluster.nodePool);
        if (nodes < config.minBrokers) {
            reportViolation(`KubernetesCluster ${cluster.name ?? args.name}: ${nodeCountField(cluster.nodePool)} ${nodes}, ` +
                `below minBrokers ${config.minBrokers}`);
        }
    }),
};
