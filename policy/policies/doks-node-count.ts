import * as digitalocean from "@pulumi/digitalocean";
import { ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { guaranteedNodes, nodeCountField } from "./lib/doks-node-pool";
import { minBrokers } from "./lib/settings";

/** Config of `doks-node-count`. */
export interface DoksNodeCountConfig {
  /** Minimum nodes the default pool always has (one per broker). */
  readonly minBrokers: number;
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
      reportViolation(
        `KubernetesCluster ${cluster.name ?? args.name}: ${nodeCountField(cluster.nodePool)} ${nodes}, ` +
          `below minBrokers ${config.minBrokers}`,
      );
    }
  }),
};
