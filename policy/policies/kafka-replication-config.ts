import { ResourceValidationPolicy } from "@pulumi/policy";
import { kafkaSetting, REPLICATION_FACTOR_KEYS } from "./lib/kafka-config";
import { describe, KAFKA } from "./lib/resources";
import { minIsrViolations, ReplicationConfig, replicationSchema } from "./lib/settings";

/** Kafka's default `min.insync.replicas`. */
const KAFKA_DEFAULT_MIN_ISR = 1;

/**
 * 3. The `Kafka` defaults and internal topics replicate at least `minReplicationFactor` times, and
 * `min.insync.replicas` is at least `minInSyncReplicas` and below `default.replication.factor`.
 */
export const kafkaReplicationConfig: ResourceValidationPolicy = {
  name: "kafka-replication-config",
  description:
    "Kafka replication factors reach minReplicationFactor; min.insync.replicas reaches minInSyncReplicas and stays below the replication factor.",
  configSchema: replicationSchema,
  validateResource: (args, reportViolation) => {
    if (args.type !== KAFKA) {
      args.notApplicable("only applies to Strimzi Kafka clusters");
    }
    const config = args.getConfig<ReplicationConfig>();
    const kafkaConfig: Record<string, unknown> = args.props.spec?.kafka?.config ?? {};
    const subject = `${describe(args)}: spec.kafka.config`;
    for (const [key, kafkaDefault] of Object.entries(REPLICATION_FACTOR_KEYS)) {
      const value = kafkaSetting(kafkaConfig, key, kafkaDefault);
      const unset = kafkaConfig[key] === undefined ? " (unset, Kafka default)" : "";
      if (Number.isNaN(value)) {
        reportViolation(`${subject} ${key} is not an integer (${JSON.stringify(kafkaConfig[key])})`);
      } else if (value < config.minReplicationFactor) {
        reportViolation(`${subject} ${key} is ${value}${unset}, below minReplicationFactor ${config.minReplicationFactor}`);
      }
    }
    const minIsr = kafkaSetting(kafkaConfig, "min.insync.replicas", KAFKA_DEFAULT_MIN_ISR);
    const replicationFactor = kafkaSetting(
      kafkaConfig,
      "default.replication.factor",
      REPLICATION_FACTOR_KEYS["default.replication.factor"],
    );
    for (const violation of minIsrViolations(subject, minIsr, replicationFactor, config)) {
      reportViolation(violation);
    }
  },
};
