import { toInteger } from "./resources";

/**
 * Replication-factor settings of `spec.kafka.config` with Kafka's own default, which applies when the
 * key is absent (so an omitted `default.replication.factor` is reported as the 1 it really is).
 */
export const REPLICATION_FACTOR_KEYS: Readonly<Record<string, number>> = {
  "default.replication.factor": 1,
  "offsets.topic.replication.factor": 3,
  "transaction.state.log.replication.factor": 3,
};

/** A `spec.kafka.config` setting as an integer, falling back to Kafka's default when unset. */
export function kafkaSetting(config: Record<string, unknown>, key: string, kafkaDefault: number): number {
  return config[key] === undefined ? kafkaDefault : toInteger(config[key]);
}
