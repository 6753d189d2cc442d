import { ResourceValidationPolicy } from "@pulumi/policy";
import { describe, KAFKA_TOPIC, toInteger } from "./lib/resources";
import { minIsrViolations, ReplicationConfig, replicationSchema } from "./lib/settings";

/**
 * 4. A `KafkaTopic` replicates at least `minReplicationFactor` times and has at least one partition.
 * Unset `replicas`/`partitions` take the cluster defaults, which `kafka-replication-config` checks. A
 * topic-level `min.insync.replicas` follows the same rule as the cluster-wide one.
 */
export const topicReplicas: ResourceValidationPolicy = {
  name: "kafka-topic-replicas",
  description: "KafkaTopics replicate at least minReplicationFactor times, have partitions >= 1 and a sane min.insync.replicas.",
  configSchema: replicationSchema,
  validateResource: (args, reportViolation) => {
    if (args.type !== KAFKA_TOPIC) {
      args.notApplicable("only applies to Strimzi KafkaTopics");
    }
    const config = args.getConfig<ReplicationConfig>();
    const spec = args.props.spec ?? {};
    const subject = describe(args);
    const replicas = spec.replicas === undefined ? undefined : toInteger(spec.replicas);
    if (replicas !== undefined) {
      if (Number.isNaN(replicas)) {
        reportViolation(`${subject}: spec.replicas is not an integer (${JSON.stringify(spec.replicas)})`);
      } else if (replicas < config.minReplicationFactor) {
        reportViolation(`${subject}: replicas ${replicas}, below minReplicationFactor ${config.minReplicationFactor}`);
      }
    }
    if (spec.partitions !== undefined) {
      const partitions = toInteger(spec.partitions);
      if (Number.isNaN(partitions) || partitions < 1) {
        reportViolation(`${subject}: partitions ${JSON.stringify(spec.partitions)}, below the minimum 1`);
      }
    }
    const minIsr = spec.config?.["min.insync.replicas"];
    if (minIsr !== undefined) {
      // Without explicit topic replicas the cluster default applies, which this resource cannot see.
      for (const violation of minIsrViolations(`${subject}: spec.config`, toInteger(minIsr), replicas ?? NaN, config)) {
        reportViolation(violation);
      }
    }
  },
};
