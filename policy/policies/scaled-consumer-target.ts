import * as k8s from "@pulumi/kubernetes";
import { StackValidationPolicy } from "@pulumi/policy";
import { describe, KAFKA, KAFKA_TOPIC, knownKubernetesObjects, SCALED_OBJECT, toInteger } from "./lib/resources";
import { APP_COMPONENT_LABEL, APP_NAME_LABEL } from "./lib/sample-app";
import { appName } from "./lib/settings";
import { consumedTopics, partitionsOf } from "./lib/topics";

/** Config of `scaled-consumer-target`. */
export interface ScaledConsumerConfig {
  /** Value of `app.kubernetes.io/name` that marks the sample app's Deployments. */
  readonly appName: string;
}

/** KEDA's `maxReplicaCount` when a ScaledObject leaves it unset. */
const KEDA_DEFAULT_MAX_REPLICAS = 100;

/**
 * 15. A KEDA ScaledObject scales the sample app's consumer Deployment and nothing else, and never to more
 * replicas than the partitions of the topic its kafka trigger watches: Kafka gives each partition to one
 * group member, so a consumer beyond them idles while the lag that called it stays. A stack policy, since
 * the partitions live on the KafkaTopic; the topic comes from the trigger's `topic`, the cluster from the
 * Strimzi bootstrap host in `bootstrapServers`, and a topic the stack does not declare is skipped.
 */
export const scaledConsumerTarget: StackValidationPolicy = {
  name: "scaled-consumer-target",
  description: "KEDA ScaledObjects target the sample app's consumer Deployment, with maxReplicaCount within the topic's partitions.",
  configSchema: { properties: { appName } },
  validateStack: (args, reportViolation) => {
    const config = args.getConfig<ScaledConsumerConfig>();
    const objects = knownKubernetesObjects(
      args.resources.filter((r) => [SCALED_OBJECT, KAFKA_TOPIC, KAFKA].includes(r.type) || r.isType(k8s.apps.v1.Deployment)),
    );
    const scaledObjects = objects.filter((r) => r.type === SCALED_OBJECT);
    if (scaledObjects.length === 0) {
      args.notApplicable("the stack declares no KEDA ScaledObject");
    }
    for (const scaled of scaledObjects) {
      const namespace = scaled.props.metadata?.namespace ?? "default";
      const spec = scaled.props.spec ?? {};
      const target = spec.scaleTargetRef ?? {};
      // KEDA takes a target without kind as a Deployment.
      const kind = target.kind ?? "Deployment";
      const consumer =
        kind === "Deployment" &&
        objects.find(
          (r) =>
            r.isType(k8s.apps.v1.Deployment) &&
            (r.props.metadata?.namespace ?? "default") === namespace &&
            r.props.metadata?.name === target.name &&
            r.props.metadata?.labels?.[APP_NAME_LABEL] === config.appName &&
            r.props.metadata?.labels?.[APP_COMPONENT_LABEL] === "consumer",
        );
      if (!consumer) {
        reportViolation(
          `${describe(scaled)}: scaleTargetRef ${kind} ${target.name} is not the ${config.appName} ` +
            `consumer Deployment of namespace ${namespace}`,
          scaled.urn,
        );
      }
      const max = spec.maxReplicaCount === undefined ? KEDA_DEFAULT_MAX_REPLICAS : toInteger(spec.maxReplicaCount);
      for (const trigger of (spec.triggers ?? []).filter((t: { type?: string }) => t.type === "kafka")) {
        const topicName = trigger.metadata?.topic;
        if (topicName === undefined) {
          continue; // KEDA then watches every topic of the group: not a topic this check can name
        }
        const topics = consumedTopics(objects, topicName, trigger.metadata?.bootstrapServers, namespace);
        if (topics.length !== 1) {
          continue;
        }
        const partitions = partitionsOf(topics[0], objects);
        if (Number.isNaN(max) || max > partitions) {
          reportViolation(
            `${describe(scaled)}: maxReplicaCount ${JSON.stringify(spec.maxReplicaCount ?? max)} is above the ` +
              `${partitions} partitions of topic ${topicName}; a consumer beyond them idles`,
            scaled.urn,
          );
        }
      }
    }
  },
};
