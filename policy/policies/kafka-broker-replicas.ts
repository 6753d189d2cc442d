import { ResourceValidationPolicy } from "@pulumi/policy";
import { describe, KAFKA_NODE_POOL, poolRoles, toInteger } from "./lib/resources";
import { minBrokers } from "./lib/settings";

/** Config of `kafka-broker-replicas`. */
export interface BrokerReplicasConfig {
  /** Minimum replicas of a pool with the broker role. */
  readonly minBrokers: number;
}

/** 1. Every node pool with the broker role runs at least `minBrokers` replicas. */
export const brokerReplicas: ResourceValidationPolicy = {
  name: "kafka-broker-replicas",
  description: "KafkaNodePools with the broker role run at least minBrokers replicas.",
  configSchema: { properties: { minBrokers } },
  validateResource: (args, reportViolation) => {
    if (args.type !== KAFKA_NODE_POOL || !poolRoles(args).includes("broker")) {
      args.notApplicable("only applies to KafkaNodePools with the broker role");
    }
    const config = args.getConfig<BrokerReplicasConfig>();
    const replicas = toInteger(args.props.spec?.replicas);
    if (Number.isNaN(replicas)) {
      reportViolation(`${describe(args)}: spec.replicas is not an integer (${JSON.stringify(args.props.spec?.replicas)})`);
    } else if (replicas < config.minBrokers) {
      reportViolation(`${describe(args)}: broker replicas ${replicas}, below minBrokers ${config.minBrokers}`);
    }
  },
};
