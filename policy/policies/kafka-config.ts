import { ResourceValidationPolicy } from "@pulumi/policy";
import { describe, KAFKA, toInteger } from "./resources";
import { minIsrViolations, ReplicationConfig, replicationSchema } from "./settings";

/**
 * Replication-factor settings of `spec.kafka.config` with Kafka's own default, which applies when the
 * key is absent (so an omitted `default.replication.factor` is reported as the 1 it really is).
 */
export const REPLICATION_FACTOR_KEYS: Readonly<Record<string, number>> = {
    "default.replication.factor": 1,
    "offsets.topic.replication.factor": 3,
    "transaction.state.log.replication.factor": 3,
};

/** Kafka's default `min.insync.replicas`. */
const KAFKA_DEFAULT_MIN_ISR = 1;

/** A `spec.kafka.config` setting as an integer, falling back to Kafka's default when unset. */
export function kafkaSetting(config: Record<string, unknown>, key: string, kafkaDefault: number): number {
    return config[key] === undefined ? kafkaDefault : toInteger(config[key]);
}

/**
 * 3. The `Kafka` defaults and internal topics replicate at least `minReplicationFactor` times, and
 * `min.insync.replicas` is at least `minInSyncReplicas` and below `default.replication.factor`.
 */
export const kafkaReplicationConfig: ResourceValidationPolicy = {
    name: "kafka-replication-config",
    description: "Kafka replication factors reach minReplicationFactor; min.insync.replicas reaches minInSyncReplicas and stays below the replication factor.",
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
        const replicationFactor = kafkaSetting(kafkaConfig, "default.replication.factor",
            REPLICATION_FACTOR_KEYS["default.replication.factor"]);
        for (const violation of minIsrViolations(subject, minIsr, replicationFactor, config)) {
            reportViolation(violation);
        }
    },
};
