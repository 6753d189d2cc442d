import { PolicyResource } from "@pulumi/policy";
import { kafkaClusters } from "./clusters";
import { kafkaSetting } from "./kafka-config";
import { clusterKey, KAFKA_TOPIC, toInteger } from "./resources";

/** Strimzi's bootstrap Service host: `<cluster>-kafka-bootstrap[.<namespace>...]`. */
const BOOTSTRAP_HOST = /^([a-z0-9-]+)-kafka-bootstrap(?:\.([a-z0-9-]+))?/;

/** The `KafkaTopic`s a consumer reads: matching topic name, narrowed to the cluster of its bootstrap. */
export function consumedTopics(
  resources: readonly PolicyResource[],
  topicName: string,
  brokers: string | undefined,
  namespace: string,
): PolicyResource[] {
  const topics = resources.filter(
    (r) => r.type === KAFKA_TOPIC && (r.props.spec?.topicName ?? r.props.metadata?.name ?? r.name) === topicName,
  );
  const bootstrap = (brokers ?? "")
    .split(",")
    .map((host) => BOOTSTRAP_HOST.exec(host.trim()))
    .find((m) => m !== null);
  if (!bootstrap) {
    return topics;
  }
  const cluster = `${bootstrap[2] ?? namespace}/${bootstrap[1]}`;
  return kafkaClusters(topics)
    .filter((c) => c.key === cluster)
    .flatMap((c) => c.topics);
}

/** Partitions of a topic; unset means the cluster's `num.partitions` (Kafka default 1). */
export function partitionsOf(topic: PolicyResource, resources: readonly PolicyResource[]): number {
  if (topic.props.spec?.partitions !== undefined) {
    return toInteger(topic.props.spec.partitions);
  }
  const kafka = kafkaClusters(resources).find((c) => c.key === clusterKey(topic))?.kafka;
  return kafkaSetting(kafka?.props.spec?.kafka?.config ?? {}, "num.partitions", 1);
}
