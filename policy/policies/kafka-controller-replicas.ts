import { ResourceValidationPolicy } from "@pulumi/policy";
import { describe, KAFKA_NODE_POOL, poolRoles, toInteger } from "./lib/resources";

/** Config of `kafka-controller-replicas`. */
export interface ControllerReplicasConfig {
  /** Minimum replicas of a pool with the controller role. */
  readonly minControllers: number;
}

/**
 * 2. Every node pool with the KRaft controller role runs an odd number of at least `minControllers`
 * replicas: the quorum needs a majority, so an even count adds a node without adding a tolerated failure.
 */
export const controllerReplicas: ResourceValidationPolicy = {
  name: "kafka-controller-replicas",
  description: "KafkaNodePools with the controller role run an odd number of at least minControllers replicas.",
  configSchema: {
    properties: {
      minControllers: {
        type: "integer",
        minimum: 1,
        default: 3,
        description: "Minimum KRaft controller replicas per pool; 3 keeps a quorum when one fails.",
      },
    },
  },
  validateResource: (args, reportViolation) => {
    if (args.type !== KAFKA_NODE_POOL || !poolRoles(args).includes("controller")) {
      args.notApplicable("only applies to KafkaNodePools with the controller role");
    }
    const config = args.getConfig<ControllerReplicasConfig>();
    const replicas = toInteger(args.props.spec?.replicas);
    if (Number.isNaN(replicas)) {
      reportViolation(`${describe(args)}: spec.replicas is not an integer (${JSON.stringify(args.props.spec?.replicas)})`);
      return;
    }
    if (replicas < config.minControllers) {
      reportViolation(`${describe(args)}: controller replicas ${replicas}, below minControllers ${config.minControllers}`);
    }
    if (replicas % 2 === 0) {
      reportViolation(`${describe(args)}: controller replicas ${replicas} is even; a KRaft quorum needs an odd count`);
    }
  },
};
