import * as k8s from "@pulumi/kubernetes";
import { StackValidationPolicy } from "@pulumi/policy";
import { KAFKA, KAFKA_TOPIC, knownKubernetesObjects } from "./lib/resources";
import { APP_COMPONENT_LABEL, APP_NAME_LABEL, DEFAULT_DEPLOYMENT_REPLICAS, DEFAULT_TOPIC, ENV } from "./lib/sample-app";
import { appName } from "./lib/settings";
import { consumedTopics, partitionsOf } from "./lib/topics";

/** Config of `consumer-within-partitions`. */
export interface ConsumerPartitionsConfig {
  /** Value of `app.kubernetes.io/name` that marks the sample app's Deployments. */
  readonly appName: string;
}

/**
 * 10. A consumer Deployment runs no more replicas than its topic has partitions: Kafka assigns each
 * partition to one group member, so extra consumers sit idle. Advisory, because idle spares are a waste,
 * not an outage. The topic comes from the container's `KAFKA_TOPIC`, the cluster from the Strimzi
 * bootstrap host in `KAFKA_BROKERS`; a topic this stack does not declare (or cannot tell apart) is skipped.
 */
export const consumerWithinPartitions: StackValidationPolicy = {
  name: "consumer-within-partitions",
  description: "Consumer Deployments run no more replicas than the partitions of the topic they consume.",
  enforcementLevel: "advisory",
  configSchema: { properties: { appName } },
  validateStack: (args, reportViolation) => {
    const config = args.getConfig<ConsumerPartitionsConfig>();
    // The Deployments and the Strimzi objects their topics are found among, each with known properties.
    const objects = knownKubernetesObjects(
      args.resources.filter((r) => r.isType(k8s.apps.v1.Deployment) || r.type === KAFKA_TOPIC || r.type === KAFKA),
    );
    const deployments = objects.filter((r) => r.isType(k8s.apps.v1.Deployment));
    const consumers = deployments.filter((r) => {
      const labels = r.asType(k8s.apps.v1.Deployment)?.metadata?.labels;
      return labels?.[APP_NAME_LABEL] === config.appName && labels?.[APP_COMPONENT_LABEL] === "consumer";
    });
    if (consumers.length === 0) {
      args.notApplicable(`the stack declares no ${config.appName} consumer Deployment`);
    }
    for (const consumer of consumers) {
      const deployment = consumer.asType(k8s.apps.v1.Deployment)!;
      const namespace = deployment.metadata?.namespace ?? "default";
      const env = new Map(
        (deployment.spec?.template?.spec?.containers ?? [])
          .flatMap((container) => container.env ?? [])
          .map((variable) => [variable.name, variable.value]),
      );
      if (env.has(ENV.topic) && env.get(ENV.topic) === undefined) {
        continue; // set from a ConfigMap or Secret: the topic is not in the stack's inputs
      }
      const topicName = env.get(ENV.topic) ?? DEFAULT_TOPIC;
      const topics = consumedTopics(objects, topicName, env.get(ENV.brokers), namespace);
      if (topics.length !== 1) {
        continue;
      }
      const replicas = deployment.spec?.replicas ?? DEFAULT_DEPLOYMENT_REPLICAS;
      const partitions = partitionsOf(topics[0], objects);
      if (replicas > partitions) {
        reportViolation(
          `Deployment ${namespace}/${deployment.metadata?.name ?? consumer.name}: ${replicas} consumer ` +
            `replicas, above the ${partitions} partitions of topic ${topicName}; ${replicas - partitions} would sit idle`,
          consumer.urn,
        );
      }
    }
  },
};
