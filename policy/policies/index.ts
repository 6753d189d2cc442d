import { Policies } from "@pulumi/policy";
import { antiAffinityNodes } from "./anti-affinity-nodes";
import { appDisruptionBudget } from "./app-disruption-budget";
import { brokerReplicas } from "./brokers";
import { consumerWithinPartitions } from "./consumer-partitions";
import { controllerReplicas } from "./controllers";
import { controllersSpread } from "./controllers-spread";
import { doksNodeCount } from "./doks";
import { kafkaReplicationConfig } from "./kafka-config";
import { nodeResources } from "./node-resources";
import { replicasWithinBrokers } from "./replicas-within-brokers";
import { sampleAppDeployment } from "./sample-app";
import { scaledConsumerTarget } from "./scaled-consumer";
import { persistentStorage } from "./storage";
import { strimziRelease } from "./strimzi-release";
import { topicReplicas } from "./topics";

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
