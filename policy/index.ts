import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

// The only place the pack is constructed: constructing it starts the analyzer's gRPC server, so tests
// import the policies from ./policies instead.
new PolicyPack("kafka-on-k8s", {
  description: "Kafka on Kubernetes: replica counts, replication factors, storage, pinned Strimzi chart, sample-app safety.",
  // Each policy blocks the preview unless it says otherwise (consumer-within-partitions is advisory) or
  // the stack's config file (config/<stack>.json) lowers it.
  enforcementLevel: "mandatory",
  policies,
});
