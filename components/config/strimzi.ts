// The Strimzi operator's release and the namespace it runs in, apart from the Kafka namespace it watches.
import { Problems, Resolved } from "./problems";
import type { ParsedSettings } from "./schema";
import { chartVersion, dnsLabel, positiveInt, refuseReservedNamespace } from "./validators";

/** The Strimzi operator release. */
export interface StrimziSettings {
  /** Exact Strimzi operator chart version. */
  readonly chartVersion: string;
  /** Operator replicas (leader election makes more than one safe). */
  readonly replicas: number;
  /** Namespace the operator runs in. */
  readonly namespace: string;
  /** Namespaces the operator watches for Kafka resources. */
  readonly watchNamespaces: string[];
}

/** The Strimzi operator's settings and their schema. */
export const strimziShape = {
  strimziChartVersion: chartVersion("strimziChart"),
  strimziReplicas: positiveInt("replica count").default(1),
  strimziNamespace: dnsLabel.default("strimzi-system"),
};

/** The Strimzi operator, watching the Kafka namespace. */
export function resolveStrimzi(parsed: ParsedSettings): Resolved<StrimziSettings> {
  const s = parsed.values;
  const problems = new Problems(parsed);
  if (s.strimziNamespace === s.kafkaNamespace) {
    problems.refuse(
      "strimziNamespace",
      "must differ from kafkaNamespace: the Strimzi chart fails with duplicate RoleBindings when it watches its own namespace",
    );
  }
  refuseReservedNamespace(problems, "strimziNamespace", s.strimziNamespace);
  return {
    settings: {
      chartVersion: s.strimziChartVersion,
      replicas: s.strimziReplicas,
      namespace: s.strimziNamespace,
      watchNamespaces: [s.kafkaNamespace],
    },
    problems: problems.found,
  };
}
