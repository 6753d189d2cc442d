// Prometheus and Grafana (kube-prometheus-stack): several more pods, so on by default on DOKS only.
import { Problems, Resolved } from "./problems";
import type { ParsedSettings } from "./schema";
import { bool, chartVersion, dnsLabel, reservedNamespaces } from "./validators";

/** The kube-prometheus-stack release. */
export interface MonitoringSettings {
  /** Exact kube-prometheus-stack chart version. */
  readonly chartVersion: string;
  /** Namespace of Prometheus, Grafana and the Prometheus operator. */
  readonly namespace: string;
}

/** Monitoring's settings and their schema. */
export const monitoringShape = {
  // Its default depends on clusterKind, decided by resolveMonitoring.
  monitoring: bool.optional(),
  monitoringChartVersion: chartVersion("prometheusStackChart"),
  monitoringNamespace: dnsLabel.default("monitoring"),
};

/** Monitoring, or undefined when it is off. */
export function resolveMonitoring(parsed: ParsedSettings): Resolved<MonitoringSettings | undefined> {
  const s = parsed.values;
  const problems = new Problems(parsed);
  const on = s.monitoring ?? s.clusterKind === "doks";
  if (on) {
    const taken = [s.kafkaNamespace, s.strimziNamespace, ...(s.appAutoscaling ? [s.kedaNamespace] : [])];
    if (taken.includes(s.monitoringNamespace) || reservedNamespaces.includes(s.monitoringNamespace)) {
      problems.refuse(
        "monitoringNamespace",
        `must differ from kafkaNamespace, strimziNamespace${s.appAutoscaling ? " and kedaNamespace" : ""} and not be reserved (${reservedNamespaces.join(", ")}): Prometheus and Grafana get their own namespace`,
      );
    }
  } else {
    problems.refuseGiven(["monitoringChartVersion", "monitoringNamespace"], "only applies with monitoring=true");
  }
  return {
    settings: on ? { chartVersion: s.monitoringChartVersion, namespace: s.monitoringNamespace } : undefined,
    problems: problems.found,
  };
}
