// The sample app's Deployments and, with appAutoscaling, KEDA scaling its consumers on lag.
import { z } from "zod";
import { PRODUCE_RATE_MAX } from "../../sample-app/src/contract";
import { Problems, Resolved } from "./problems";
import type { ParsedSettings } from "./schema";
import type { TopicSettings } from "./topics";
import { bool, chartVersion, dnsLabel, jsonText, nonNegativeInt, positiveInt, reservedNamespaces } from "./validators";

/** The KEDA release that scales the consumers. */
export interface KedaSettings {
  /** Exact KEDA chart version. */
  readonly chartVersion: string;
  /** Namespace the KEDA operator runs in. */
  readonly namespace: string;
}

/** How KEDA scales the consumers on their group's lag. */
export interface ConsumerAutoscaling {
  /** Fewest consumer replicas KEDA keeps (≥ 1: the consumers serve the dashboard). */
  readonly minReplicas: number;
  /** Most consumer replicas KEDA asks for; never above the topic's partitions. */
  readonly maxReplicas: number;
  /** Consumer-group lag per replica that KEDA's kafka trigger aims for. */
  readonly lagThreshold: number;
  /** How long KEDA's HPA waits on lower recommendations before scaling in. */
  readonly scaleDownStabilizationSeconds: number;
}

/** Pods, besides the port-forward, that may reach the app's dashboard/API port. */
export interface HttpPeer {
  /** Their namespace. */
  readonly namespace: string;
  /** Labels the pods must have; unset = every pod of the namespace. */
  readonly podLabels?: Readonly<Record<string, string>>;
}

/** The sample app's Deployments. */
export interface SampleAppSettings {
  /** Topic the app produces to and consumes from. */
  readonly topic: string;
  /** Producer Deployment replicas. */
  readonly producerReplicas: number;
  /** Consumer Deployment replicas at creation; KEDA owns the count afterwards when autoscaling is on. */
  readonly consumerReplicas: number;
  /** Consumers scaled on lag by KEDA, or undefined for a fixed count. */
  readonly autoscaling?: ConsumerAutoscaling;
  /** Messages/s per producer, or "max". */
  readonly produceRate: string;
  /** The only pods in the cluster that may reach the dashboard/API port (none by default). */
  readonly httpPeers: readonly HttpPeer[];
}

/** The app and, when its consumers autoscale, the KEDA release that scales them. */
export interface AppAndKeda {
  /** The sample app. */
  readonly app: SampleAppSettings;
  /** KEDA, present only when the consumers autoscale. */
  readonly keda?: KedaSettings;
}

// Kubernetes' label syntax: a name of 1-63 characters, alphanumeric at both ends, optionally after a DNS
// subdomain prefix and "/"; a value is such a name or empty.
const labelName = "[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?";
const labelKey = new RegExp(`^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?${labelName}$`);
const labelValue = new RegExp(`^(${labelName})?$`);

/** The app's and KEDA's settings and their schema. */
export const appShape = {
  appTopic: z.string().min(1).optional(),
  appProducerReplicas: positiveInt("replica count").default(1),
  appConsumerReplicas: positiveInt("replica count").default(2),
  // The app's own limit (its PRODUCE_RATE, from the contract it shares): above it every pod would exit at start.
  appProduceRate: z
    .string()
    .regex(/^(max|\d+)$/, { error: "must be a whole number of messages/s or max" })
    .refine((v) => v === "max" || Number(v) <= PRODUCE_RATE_MAX, {
      error: `must be ≤ ${PRODUCE_RATE_MAX} messages/s (the sample app's limit) or max`,
    })
    .default("100"),
  appAutoscaling: bool.default(true),
  // Who in the cluster may reach the dashboard and POST /messages besides the port-forward, which
  // NetworkPolicy does not govern. None by default: any pod that can reach the port can read the stats and,
  // with the token, write to the protected topic under the app's Kafka identity.
  appHttpPeers: jsonText(
    z.array(
      z.strictObject(
        {
          namespace: z.string({ error: "required: the namespace of the peer's pods" }).pipe(dnsLabel),
          podLabels: z
            .record(
              z.string(),
              z.string().regex(labelValue, { error: "must be a label value: at most 63 of [A-Za-z0-9._-], alphanumeric at both ends" }),
            )
            // Keys are checked here rather than by the record's key schema, whose error names no rule.
            .superRefine((labels, ctx) => {
              for (const key of Object.keys(labels).filter((k) => !labelKey.test(k))) {
                ctx.addIssue({
                  code: "custom",
                  path: [key],
                  message: "must be a label key: [prefix/]name, the name 1-63 of [A-Za-z0-9._-]",
                });
              }
            })
            .optional(),
        },
        {
          error: (issue) =>
            issue.code === "unrecognized_keys" ? `unknown field ${issue.keys.join(", ")}: each peer is {namespace, podLabels?}` : undefined,
        },
      ),
      { error: "must be a list of peers, each {namespace, podLabels?}" },
    ),
  ).default([]),
  appMinConsumerReplicas: positiveInt("replica count").optional(),
  appMaxConsumerReplicas: positiveInt("replica count", 10_000).optional(),
  appLagThreshold: positiveInt("message count", 1_000_000).optional(),
  appScaleDownStabilizationSeconds: nonNegativeInt(3600).optional(),
  kedaChartVersion: chartVersion("kedaChart"),
  kedaNamespace: dnsLabel.default("keda"),
};

/** Settings that mean something only when KEDA scales the consumers. */
const autoscalingKeys = [
  "appMinConsumerReplicas",
  "appMaxConsumerReplicas",
  "appLagThreshold",
  "appScaleDownStabilizationSeconds",
  "kedaChartVersion",
  "kedaNamespace",
];

/** The sample app on one of the declared `topics`, and KEDA when its consumers autoscale. */
export function resolveApp(parsed: ParsedSettings, topics: readonly TopicSettings[]): Resolved<AppAndKeda> {
  const s = parsed.values;
  const problems = new Problems(parsed);
  const names = topics.map((t) => t.name);
  const appTopic = s.appTopic ?? names[0];
  if (!names.includes(appTopic)) problems.refuse("appTopic", `must be one of the declared topics: ${names.join(", ")}`);

  let autoscaling: ConsumerAutoscaling | undefined;
  if (s.appAutoscaling) {
    // A consumer beyond the partition count gets no partition and idles: the topic bounds the maximum.
    const partitions = topics.find((t) => t.name === appTopic)?.partitions ?? 1;
    const minReplicas = s.appMinConsumerReplicas ?? 1;
    const maxReplicas = s.appMaxConsumerReplicas ?? partitions;
    if (maxReplicas > partitions) {
      problems.refuse(
        "appMaxConsumerReplicas",
        `must be ≤ the ${partitions} partitions of topic ${appTopic}: a consumer beyond them gets no partition and idles`,
      );
    }
    if (minReplicas > maxReplicas) {
      problems.refuse("appMinConsumerReplicas", `must be ≤ appMaxConsumerReplicas (${maxReplicas})`);
    }
    if (s.appConsumerReplicas < minReplicas || s.appConsumerReplicas > maxReplicas) {
      problems.refuse(
        "appConsumerReplicas",
        `must be within appMinConsumerReplicas..appMaxConsumerReplicas (${minReplicas}..${maxReplicas}) with appAutoscaling=true: it is the count KEDA starts from`,
      );
    }
    if ([s.kafkaNamespace, s.strimziNamespace].includes(s.kedaNamespace) || reservedNamespaces.includes(s.kedaNamespace)) {
      problems.refuse(
        "kedaNamespace",
        `must differ from kafkaNamespace and strimziNamespace and not be reserved (${reservedNamespaces.join(", ")}): KEDA gets its own namespace`,
      );
    }
    autoscaling = {
      minReplicas,
      maxReplicas,
      lagThreshold: s.appLagThreshold ?? 100,
      scaleDownStabilizationSeconds: s.appScaleDownStabilizationSeconds ?? 300,
    };
  } else {
    problems.refuseGiven(autoscalingKeys, "only applies with appAutoscaling=true");
  }
  return {
    settings: {
      app: {
        topic: appTopic,
        producerReplicas: s.appProducerReplicas,
        consumerReplicas: s.appConsumerReplicas,
        produceRate: s.appProduceRate,
        autoscaling,
        httpPeers: s.appHttpPeers,
      },
      keda: autoscaling ? { chartVersion: s.kedaChartVersion, namespace: s.kedaNamespace } : undefined,
    },
    problems: problems.found,
  };
}
