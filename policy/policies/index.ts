import { Policies } from "@pulumi/policy";
import { consumerWithinPartitions } from "./consumer-within-partitions";
import { doksNodeCount } from "./doks-node-count";
import { antiAffinityNodes } from "./doks-nodes-for-anti-affinity";
import { brokerReplicas } from "./kafka-broker-replicas";
import { controllerReplicas } from "./kafka-controller-replicas";
import { controllersSpread } from "./kafka-controllers-spread";
import { nodeResources } from "./kafka-node-resources";
import { persistentStorage } from "./kafka-persistent-storage";
import { replicasWithinBrokers } from "./kafka-replicas-within-brokers";
import { kafkaReplicationConfig } from "./kafka-replication-config";
import { topicReplicas } from "./kafka-topic-replicas";
import { sampleAppDeployment } from "./sample-app-deployment";
import { appDisruptionBudget } from "./sample-app-disruption-budget";
import { scaledConsumerTarget } from "./scaled-consumer-target";
import { strimziRelease } from "./strimzi-operator-release";

/** Every policy of the pack: resource policies 1-8, stack policies 9-11, the production checks 12-14, then KEDA's 15. */
export const policies: Policies = [
  brokerReplicas,
  controllerReplicas,
  kafkaReplicationConfig,
  topicReplicas,
  persistentStorage,
  strimziRelease,
  sampleAppDeployment,
  doksNodeCount,
  replicasWithinBrokers,
  consumerWithinPartitions,
  antiAffinityNodes,
  nodeResources,
  controllersSpread,
  appDisruptionBudget,
  scaledConsumerTarget,
];

/**
 * The replica rules: what keeps the Kafka cluster able to lose a broker (and able to start at all). No
 * stack's policy config may run them below mandatory; the pack refuses such a config while loading
 * (host/pack-config.ts). Their thresholds still come from each stack's own config file.
 */
export const replicaRules: Policies = [
  brokerReplicas,
  controllerReplicas,
  kafkaReplicationConfig,
  topicReplicas,
  doksNodeCount,
  replicasWithinBrokers,
  antiAffinityNodes,
];
