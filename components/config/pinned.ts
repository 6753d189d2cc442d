// The pinned versions are data in versions.json, so scripts (scripts/lint.sh checks that the workflows
// install the same tools) read them without parsing TypeScript. This module types them.
import versions from "../../versions.json";

/** Versions this program is built and tested against; each is a setting's default. */
export const pinned: {
  /** kind CLI that creates the dev cluster (workflows install the same). */
  readonly kind: string;
  /** Node image per Kubernetes version, by digest so a re-tag upstream cannot change it. */
  readonly kindNodeImages: Readonly<Record<string, string>>;
  /** Kubernetes version of the kind cluster (kubectl in the workflows matches). */
  readonly kubernetes: string;
  /** Flux CLI and controllers. */
  readonly flux: string;
  /** Strimzi operator chart. */
  readonly strimziChart: string;
  /** KEDA chart, installed when the consumers autoscale. */
  readonly kedaChart: string;
  /** kube-prometheus-stack chart (Prometheus operator v0.93.1, Grafana), installed when monitoring is on. */
  readonly prometheusStackChart: string;
  /** Kafka version the cluster runs by default. */
  readonly kafka: string;
} = versions;

/** A chart the program installs: its pin in `pinned`, and the lowest version it can use. */
export type Chart = "strimziChart" | "kedaChart" | "prometheusStackChart";

/** The lowest version of each chart that serves what the program declares, and what that is. */
export const chartMinimums: Readonly<Record<Chart, { readonly version: string; readonly reason: string }>> = versions.chartMinimums;

/** Kafka versions the pinned Strimzi operator can run (from its release notes and CRDs). */
export const supportedKafkaVersions: readonly [string, ...string[]] = versions.supportedKafkaVersions as [string, ...string[]];
