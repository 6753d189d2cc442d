import { PolicyConfigSchema } from "@pulumi/policy";
import { APP_NAME, APP_NAME_LABEL } from "./sample-app";

// Config properties several policies share. The defaults are the production values (stack `do`), so
// running the pack without a config file is strict; `config/dev.json` relaxes them for one kind node.

type Property = PolicyConfigSchema["properties"][string];

/** Minimum broker replicas of a Kafka cluster (also the minimum DOKS nodes, one broker per node). */
export const minBrokers: Property = {
  type: "integer",
  minimum: 1,
  default: 3,
  description: "Minimum broker replicas per node pool (and DOKS nodes); 3 lets one broker fail with RF 3 / min ISR 2.",
};

/** `app.kubernetes.io/name` label value of the sample app's Deployments. */
export const appName: Property = {
  type: "string",
  minLength: 1,
  default: APP_NAME,
  description: `${APP_NAME_LABEL} label of the sample app's Deployments.`,
};

/** Minimum replication factor for Kafka's defaults, internal topics and every KafkaTopic. */
export const minReplicationFactor: Property = {
  type: "integer",
  minimum: 1,
  default: 3,
  description: "Minimum replication factor of the Kafka defaults, internal topics and KafkaTopics.",
};

/** Minimum `min.insync.replicas`. */
export const minInSyncReplicas: Property = {
  type: "integer",
  minimum: 1,
  default: 2,
  description: "Minimum min.insync.replicas, so an acknowledged write survives the loss of a broker.",
};

/**
 * Whether `min.insync.replicas` may equal the replication factor. Normally it must be lower so one
 * replica may be down without blocking producers (acks=all); a single-broker dev cluster has RF 1 and
 * therefore min ISR 1, which only this switch allows.
 */
export const allowMinIsrEqualRf: Property = {
  type: "boolean",
  default: false,
  description: "Allow min.insync.replicas == replication factor (single-broker dev clusters only).",
};

/** Config of the policies that check replication factors and min ISR. */
export interface ReplicationConfig {
  /** Minimum replication factor. */
  readonly minReplicationFactor: number;
  /** Minimum `min.insync.replicas`. */
  readonly minInSyncReplicas: number;
  /** Whether `min.insync.replicas` may equal the replication factor. */
  readonly allowMinIsrEqualRf: boolean;
}

/** The config schema of the policies that check replication factors and min ISR. */
export const replicationSchema: PolicyConfigSchema = {
  properties: { minReplicationFactor, minInSyncReplicas, allowMinIsrEqualRf },
};

/**
 * Violations of a `min.insync.replicas` value against the minimum and against the replication factor it
 * applies to; `subject` names where the value was found (e.g. `Kafka kafka/kafka: spec.kafka.config`).
 * A replication factor of NaN (unknown here) compares false, so only the minimum is checked then.
 */
export function minIsrViolations(subject: string, minIsr: number, replicationFactor: number, config: ReplicationConfig): string[] {
  if (Number.isNaN(minIsr)) {
    return [`${subject} min.insync.replicas is not an integer`];
  }
  const violations: string[] = [];
  if (minIsr < config.minInSyncReplicas) {
    violations.push(`${subject} min.insync.replicas is ${minIsr}, below minInSyncReplicas ${config.minInSyncReplicas}`);
  }
  const pair = `${subject} min.insync.replicas is ${minIsr} with replication factor ${replicationFactor}`;
  if (!config.allowMinIsrEqualRf && minIsr >= replicationFactor) {
    violations.push(`${pair}: it must be below the replication factor so a broker may fail without blocking acks=all producers`);
  } else if (minIsr > replicationFactor) {
    violations.push(`${pair}: it must not exceed the replication factor, or every acks=all write fails`);
  }
  return violations;
}
