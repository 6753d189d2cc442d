import * as digitalocean from "@pulumi/digitalocean";
import { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { brokerPools, kafkaClusters, totalReplicas } from "./lib/clusters";
import { guaranteedNodes, nodeCountField } from "./lib/doks-node-pool";
import { perNodeAntiAffinitySelectors } from "./lib/resources";

/** Whether a node pool's pods must each land on a different node (required anti-affinity per host). */
function spreadsPerNode(pool: PolicyResource): boolean {
  return perNodeAntiAffinitySelectors(pool).length > 0;
}

/**
 * 11. When brokers use required pod anti-affinity per host, the DOKS node pool always has at least as
 * many nodes as the cluster has such brokers; otherwise the extra brokers stay Pending. Counted per
 * Kafka cluster (anti-affine broker pools together, as their selectors normally match the whole
 * cluster's brokers) against each DOKS cluster's guaranteed nodes (`minNodes` under autoscaling).
 */
export const antiAffinityNodes: StackValidationPolicy = {
  name: "doks-nodes-for-anti-affinity",
  description: "DOKS has at least as many nodes as brokers that require one node each (pod anti-affinity).",
  validateStack: (args, reportViolation) => {
    const doksClusters = args.resources.filter((r) => r.isType(digitalocean.KubernetesCluster));
    if (doksClusters.length === 0) {
      args.notApplicable("the stack declares no DOKS cluster");
    }
    for (const kafka of kafkaClusters(args.resources)) {
      const brokers = totalReplicas(brokerPools(kafka).filter(spreadsPerNode));
      for (const doks of doksClusters) {
        const cluster = doks.asType(digitalocean.KubernetesCluster)!;
        const nodes = guaranteedNodes(cluster.nodePool);
        if (brokers > nodes) {
          reportViolation(
            `KubernetesCluster ${cluster.name ?? doks.name}: ${nodeCountField(cluster.nodePool)} ${nodes}, ` +
              `below the ${brokers} anti-affine broker replicas of Kafka cluster ${kafka.key}`,
            doks.urn,
          );
        }
      }
    }
  },
};
