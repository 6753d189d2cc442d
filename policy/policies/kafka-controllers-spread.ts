import { ResourceValidationPolicy } from "@pulumi/policy";
import { describe, HOSTNAME_TOPOLOGY, KAFKA_NODE_POOL, perNodeAntiAffinitySelectors, poolRoles, toInteger } from "./lib/resources";

/** Config of `kafka-controllers-spread`. */
export interface ControllersSpreadConfig {
  /** Whether controller pools of more than one replica must put each replica on its own node. */
  readonly requireControllerSpread: boolean;
}

/**
 * 13. Where `requireControllerSpread` is set, a node pool with the controller role and more than one
 * replica requires pod anti-affinity per node for its controllers: two of three controllers on one node
 * lose the KRaft quorum together with that node.
 */
export const controllersSpread: ResourceValidationPolicy = {
  name: "kafka-controllers-spread",
  description: "KRaft controllers of a multi-replica pool run on distinct nodes where requireControllerSpread is set.",
  configSchema: {
    properties: {
      requireControllerSpread: {
        type: "boolean",
        default: true,
        description: "Require required pod anti-affinity per node (kubernetes.io/hostname) for the controller role.",
      },
    },
  },
  validateResource: (args, reportViolation) => {
    if (args.type !== KAFKA_NODE_POOL || !poolRoles(args).includes("controller")) {
      args.notApplicable("only applies to Strimzi KafkaNodePools with the controller role");
    }
    if (!args.getConfig<ControllersSpreadConfig>().requireControllerSpread) {
      args.notApplicable("requireControllerSpread is off");
    }
    const replicas = toInteger(args.props.spec?.replicas);
    if (!(replicas > 1)) {
      args.notApplicable("a single controller has nothing to spread");
    }
    // A dual-role pool spread by its broker role spreads its controllers too: they are the same pods.
    const spread = perNodeAntiAffinitySelectors(args).some(
      (labels) =>
        labels["strimzi.io/controller-role"] === "true" ||
        (poolRoles(args).includes("broker") && labels["strimzi.io/broker-role"] === "true"),
    );
    if (!spread) {
      reportViolation(
        `${describe(args)}: ${replicas} controllers without required pod anti-affinity on ${HOSTNAME_TOPOLOGY} ` +
          "for strimzi.io/controller-role=true; two on one node lose the quorum with it (requireControllerSpread)",
      );
    }
  },
};
