import { PolicyPack } from "@pulumi/policy";
import { hookAnalyzerService } from "./host/analyzer-host";
import { configRefusals } from "./host/pack-config";
import { policies, replicaRules } from "./policies";

const PACK_NAME = "kafka-on-k8s";

// Before the pack starts its analyzer: refuse a config that lowers a replica rule or relaxes thresholds
// beyond the stack's own, and keep each resource's inputs for the stack policies' first preview
// (host/analyzer-host.ts).
hookAnalyzerService(PACK_NAME, (stack, received) =>
  configRefusals(
    policies,
    replicaRules.map((p) => p.name),
    stack,
    received,
  ),
);

// The only place the pack is constructed: constructing it starts the analyzer's gRPC server, so tests
// import the policies from ./policies instead.
new PolicyPack(PACK_NAME, {
  description: "Kafka on Kubernetes: replica counts, replication factors, storage, pinned Strimzi chart, sample-app safety.",
  // Each policy blocks the preview unless it says otherwise (consumer-within-partitions is advisory) or
  // the stack's config file (config/<stack>.json) lowers it; the replica rules it may not lower.
  enforcementLevel: "mandatory",
  policies,
});
