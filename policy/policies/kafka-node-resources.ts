import { ResourceValidationPolicy } from "@pulumi/policy";
import { describe, KAFKA_NODE_POOL } from "./lib/resources";

/**
 * 12. Every KafkaNodePool sets CPU and memory requests, a memory limit and the JVM heap (`-Xmx`). Without
 * requests a Kafka pod is BestEffort, the first evicted under pressure; without a heap the JVM sizes itself
 * from the node, not the pod, and can be OOM-killed by its own limit.
 */
export const nodeResources: ResourceValidationPolicy = {
  name: "kafka-node-resources",
  description: "KafkaNodePools set CPU and memory requests, a memory limit and the JVM heap.",
  validateResource: (args, reportViolation) => {
    if (args.type !== KAFKA_NODE_POOL) {
      args.notApplicable("only applies to Strimzi KafkaNodePools");
    }
    const spec = args.props.spec ?? {};
    const missing = [
      ["resources.requests.cpu", spec.resources?.requests?.cpu],
      ["resources.requests.memory", spec.resources?.requests?.memory],
      ["resources.limits.memory", spec.resources?.limits?.memory],
      ["jvmOptions.-Xmx", spec.jvmOptions?.["-Xmx"]],
    ]
      .filter(([, value]) => value === undefined)
      .map(([field]) => `spec.${field}`);
    if (missing.length > 0) {
      reportViolation(`${describe(args)}: ${missing.join(", ")} not set`);
    }
  },
};
