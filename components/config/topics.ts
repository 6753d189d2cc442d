// The Kafka topics: Kafka's own naming and config rules, and the Kubernetes names their KafkaTopic
// objects get, checked before Kafka or the API server would refuse them.
import { z } from "zod";
import { Problems, Resolved } from "./problems";
import type { ParsedSettings } from "./schema";
import { jsonText, positiveInt, refuseMinIsr } from "./validators";

/** One KafkaTopic. */
export interface TopicSettings {
  /** Kafka topic name. */
  readonly name: string;
  /** Partition count: the upper bound on useful consumer replicas. */
  readonly partitions: number;
  /** Replication factor. */
  readonly replicas: number;
  /** Topic-level Kafka configuration. */
  readonly config: Record<string, string | number | boolean>;
}

/** The cluster-wide values a topic's replicas and min.insync.replicas default to and must fit. */
export interface TopicDefaults {
  /** Brokers: the most replicas a topic can have. */
  readonly brokerReplicas: number;
  /** Replicas of a topic that does not set them. */
  readonly replicationFactor: number;
  /** min.insync.replicas of a topic that does not set it (lowered to its replicas). */
  readonly minInsyncReplicas: number;
}

const topicSchema = z
  .object(
    {
      name: z
        .string()
        .regex(/^[a-zA-Z0-9._-]{1,249}$/, {
          error: "must be 1–249 characters of letters, digits, '.', '_' or '-'",
        })
        .refine((n) => n !== "." && n !== "..", { error: "Kafka does not allow the topic names '.' and '..'" }),
      partitions: positiveInt("partition count", 10_000),
      replicas: positiveInt("replication factor").optional(),
      config: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
    },
    { error: "each topic must be an object with name, partitions, and optionally replicas and config" },
  )
  .strict();

/** The `topics` setting's schema: Pulumi hands the YAML list over as JSON text. */
export const topicList = jsonText(
  z.array(topicSchema, { error: "must be a list of topics" }).min(1, { error: "must name at least one topic" }),
);

/** Types of the topic-level Kafka settings the program can check before Kafka does. */
const topicConfigTypes: Record<string, "integer" | "boolean"> = {
  "retention.ms": "integer",
  "retention.bytes": "integer",
  "segment.bytes": "integer",
  "segment.ms": "integer",
  "min.insync.replicas": "integer",
  "max.message.bytes": "integer",
  "min.compaction.lag.ms": "integer",
  "delete.retention.ms": "integer",
  "unclean.leader.election.enable": "boolean",
  preallocate: "boolean",
};

/** The KafkaTopic object name of a topic: Kafka allows '_' and capitals, Kubernetes does not. */
export function kafkaTopicName(topic: string): string {
  return topic.toLowerCase().replace(/[^a-z0-9.-]/g, "-");
}

/** The topics, with replicas and min.insync.replicas filled in from the cluster's `defaults`. */
export function resolveTopics(parsed: ParsedSettings, defaults: TopicDefaults): Resolved<TopicSettings[]> {
  const problems = new Problems(parsed);
  const topics: TopicSettings[] = (parsed.values.topics ?? [{ name: "demo-events", partitions: 6 }]).map((t, i) => {
    const replicas = t.replicas ?? defaults.replicationFactor;
    if (replicas > defaults.brokerReplicas) {
      problems.refuse("topics", `topic ${t.name} (#${i + 1}): replicas ${replicas} must be ≤ brokerReplicas (${defaults.brokerReplicas})`);
    }
    const config = { ...(t.config ?? {}) };
    const topicMinIsr = config["min.insync.replicas"];
    if (topicMinIsr !== undefined) {
      refuseMinIsr(problems, "topics", Number(topicMinIsr), replicas, `replicas of topic ${t.name}`);
    } else {
      config["min.insync.replicas"] = Math.min(defaults.minInsyncReplicas, replicas);
    }
    return { name: t.name, partitions: t.partitions, replicas, config };
  });
  const names = topics.map((t) => t.name);
  for (const dup of names.filter((n, i) => names.indexOf(n) !== i)) {
    problems.refuse("topics", `topic ${dup} is declared more than once`);
  }
  const objectNames = new Map<string, string>();
  for (const name of new Set(names)) {
    const objectName = kafkaTopicName(name);
    if (!/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(objectName)) {
      problems.refuse(
        "topics",
        `topic ${name} becomes the KafkaTopic name ${objectName}, which Kubernetes refuses; start and end it with a letter or digit`,
      );
    }
    const other = objectNames.get(objectName);
    if (other !== undefined) {
      problems.refuse("topics", `topics ${other} and ${name} both become the KafkaTopic name ${objectName}; rename one`);
    }
    objectNames.set(objectName, name);
  }
  for (const [i, t] of topics.entries()) {
    for (const [key, value] of Object.entries(t.config)) {
      const expected = topicConfigTypes[key];
      if (expected === "integer" && !(Number.isInteger(Number(value)) && String(value).trim() !== "" && Number(value) >= -1)) {
        problems.refuse("topics", `topic ${t.name} (#${i + 1}): config ${key} = ${JSON.stringify(value)} must be a whole number`);
      } else if (expected === "boolean" && !["true", "false"].includes(String(value))) {
        problems.refuse("topics", `topic ${t.name} (#${i + 1}): config ${key} = ${JSON.stringify(value)} must be true or false`);
      }
    }
  }
  return { settings: topics, problems: problems.found };
}
