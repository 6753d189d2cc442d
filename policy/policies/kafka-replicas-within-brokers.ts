import { StackValidationPolicy } from "@pulumi/policy";
import { brokerPools, kafkaClusters, totalReplicas } from "./lib/clusters";
import { kafkaSetting, REPLICATION_FACTOR_KEYS } from "./lib/kafka-config";
import { describe, toInteger } from "./lib/resources";

/**
 * 9. No replication factor of a cluster exceeds its broker count: neither a KafkaTopic's `replicas` nor
 * the `Kafka` config's replication factors (unset ones count with Kafka's default). Otherwise the
 * topic or the internal topics can never be created and the cluster never becomes Ready. Clusters whose
 * `Kafka` this stack does not declare are left alone.
 */
export const replicasWithinBrokers: StackValidationPolicy = {
  name: "kafka-replicas-within-brokers",
  description: "Topic replicas and the Kafka replication factors do not exceed the cluster's broker replicas.",
  validateStack: (args, reportViolation) => {
    const clusters = kafkaClusters(args.resources).filter((cluster) => cluster.kafka !== undefined);
    if (clusters.length === 0) {
      args.notApplicable("the stack declares no Strimzi Kafka cluster");
    }
    for (const cluster of clusters) {
      const brokers = totalReplicas(brokerPools(cluster));
      const kafka = cluster.kafka!;
      const kafkaConfig: Record<string, unknown> = kafka.props.spec?.kafka?.config ?? {};
      for (const [key, kafkaDefault] of Object.entries(REPLICATION_FACTOR_KEYS)) {
        const value = kafkaSetting(kafkaConfig, key, kafkaDefault);
        if (value > brokers) {
          const unset = kafkaConfig[key] === undefined ? " (unset, Kafka default)" : "";
          reportViolation(
            `${describe(kafka)}: spec.kafka.config ${key} is ${value}${unset}, ` + `above the cluster's ${brokers} broker replicas`,
            kafka.urn,
          );
        }
      }
      for (const topic of cluster.topics) {
        const replicas = toInteger(topic.props.spec?.replicas);
        if (replicas > brokers) {
          reportViolation(
            `${describe(topic)}: replicas ${replicas}, above the ${brokers} broker replicas ` + `of cluster ${cluster.key}`,
            topic.urn,
          );
        }
      }
    }
  },
};
