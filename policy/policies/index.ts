import { Policies } from "@pulumi/policy";
import { antiAffinityNodes } from "./anti-affinity-nodes";
import { brokerReplicas } from "./brokers";
import { consumerWithinPartitions } from "./consumer-partitions";
import { controllerReplicas } from "./controllers";
import { doksNodeCount } from "./doks";
import { kafkaReplicationConfig } from "./kafka-config";
import { replicasWithinBrokers } from "./replicas-within-brokers";
import { sampleAppDeployment } from "./sample-app";
import { persistentStorage } from "./storage";
import { strimziRelease } from "./strimzi-release";
import { topicReplicas } from "./topics";

/** Every policy of the pack, in the order of the issue: resource policies 1-8, then stack policies 9-11. */
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
];
