import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { MonitoringSettings } from "./config";
import { operatorRelease } from "./helmRelease";
import { componentNamespace, PodSecurityLevel } from "./namespace";

export const prometheusStackChartUrl = "oci://ghcr.io/prometheus-community/charts/kube-prometheus-stack";
/** Release name; the chart derives its objects' names from it (Service `kube-prometheus-stack-grafana`). */
export const prometheusStackRelease = "kube-prometheus-stack";
/** Label Grafana's dashboard sidecar loads ConfigMaps by, in every namespace (Strimzi's chart writes its own). */
export const grafanaDashboardLabel = { key: "grafana_dashboard", value: "1" };

/** Pods Prometheus scrapes, declared as one PodMonitor in their own namespace. */
export interface ScrapeTarget {
  /** PodMonitor name. */
  readonly name: string;
  /** Namespace of the pods (and the PodMonitor). */
  readonly namespace: string;
  /** Label selector of the pods, as a Kubernetes LabelSelector. */
  readonly selector: Record<string, unknown>;
  /** Name of the container port serving the metrics. */
  readonly port: string;
  /** HTTP path of the metrics. */
  readonly path: string;
}

/** What the scaling dashboard puts side by side: the group's lag and the consumer Deployment's replicas. */
export interface ScalingDashboard {
  /** Consumer group KEDA scales on. */
  readonly group: string;
  /** Topic it consumes. */
  readonly topic: string;
  /** Namespace of the consumer Deployment. */
  readonly namespace: string;
  /** Name of the consumer Deployment. */
  readonly deployment: pulumi.Input<string>;
}

export interface MonitoringArgs {
  /** Namespace of the Flux controllers and sources. */
  readonly fluxNamespace: string;
  /** Chart version and namespace. */
  readonly settings: MonitoringSettings;
  /** Pod Security Standard the monitoring namespace enforces. */
  readonly podSecurity: PodSecurityLevel;
  /** Pods to scrape; each PodMonitor is declared once the release (and its CRDs) is Ready. */
  readonly targets: ScrapeTarget[];
  /** The lag-and-replicas dashboard's series. */
  readonly scaling: ScalingDashboard;
  /** Resources the release waits for: Flux ready. */
  readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

/** A Grafana dashboard of this program's own: consumer lag, replicas and throughput on one time axis. */
function scalingDashboard(s: ScalingDashboard & { readonly deployment: string }): string {
  const panel = (id: number, title: string, y: number, targets: { expr: string; legendFormat: string }[]) => ({
    id,
    title,
    type: "timeseries",
    datasource: { type: "prometheus", uid: "prometheus" },
    gridPos: { x: 0, y, w: 24, h: 8 },
    targets: targets.map((t, i) => ({ ...t, refId: String.fromCharCode(65 + i) })),
  });
  return JSON.stringify({
    uid: "kafka-consumer-scaling",
    title: "Kafka consumer scaling",
    time: { from: "now-1h", to: "now" },
    refresh: "10s",
    schemaVersion: 39,
    panels: [
      // Kafka Exporter's view, the same offsets KEDA's kafka trigger reads.
      panel(1, `Lag of group ${s.group} on ${s.topic}`, 0, [
        { expr: `sum(kafka_consumergroup_lag{consumergroup="${s.group}", topic="${s.topic}"})`, legendFormat: "lag" },
      ]),
      panel(2, `Replicas of ${s.deployment}`, 8, [
        {
          expr: `kube_deployment_spec_replicas{namespace="${s.namespace}", deployment="${s.deployment}"}`,
          legendFormat: "asked for (KEDA)",
        },
        { expr: `kube_deployment_status_replicas_ready{namespace="${s.namespace}", deployment="${s.deployment}"}`, legendFormat: "ready" },
        { expr: `max(sample_app_consumer_group_members{namespace="${s.namespace}"})`, legendFormat: "group members" },
      ]),
      panel(3, "Throughput (messages/s)", 16, [
        { expr: `sum(rate(sample_app_messages_produced_total{namespace="${s.namespace}"}[1m]))`, legendFormat: "produced" },
        { expr: `sum(rate(sample_app_messages_consumed_total{namespace="${s.namespace}"}[1m]))`, legendFormat: "consumed" },
      ]),
    ],
  });
}

/**
 * Prometheus, Grafana and the Prometheus operator (kube-prometheus-stack), installed by Flux from its OCI
 * chart into their own namespace. Pulumi waits until the release is Ready: only then does the PodMonitor CRD
 * exist, and the PodMonitors of the Kafka pods, the Strimzi operator and the sample app are declared.
 */
export class Monitoring extends pulumi.ComponentResource {
  /** The HelmRelease; Ready means the operator runs and its CRDs are installed. */
  public readonly release: k8s.apiextensions.CustomResource;
  /** Namespace of Prometheus and Grafana. */
  public readonly namespace: string;
  /** Service and port of Grafana, for the port-forward. */
  public readonly grafana = { service: `${prometheusStackRelease}-grafana`, port: 80 };

  constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kafka-on-k8s:monitoring:Monitoring", name, {}, opts);
    const { settings } = args;
    this.namespace = settings.namespace;

    const namespace = componentNamespace(`${name}-namespace`, settings.namespace, args.podSecurity, { parent: this });

    const source = new k8s.apiextensions.CustomResource(
      `${name}-chart`,
      {
        apiVersion: "source.toolkit.fluxcd.io/v1",
        kind: "OCIRepository",
        metadata: { name: "kube-prometheus-stack-chart", namespace: args.fluxNamespace },
        spec: {
          interval: "1h",
          url: prometheusStackChartUrl,
          // An exact tag: an upgrade of Prometheus' operator and CRDs is a reviewed config change.
          ref: { tag: settings.chartVersion },
          layerSelector: { mediaType: "application/vnd.cncf.helm.chart.content.v1.tar+gzip", operation: "copy" },
        },
      },
      { parent: this, dependsOn: args.dependsOn },
    );

    this.release = operatorRelease(
      `${name}-release`,
      {
        name: prometheusStackRelease,
        fluxNamespace: args.fluxNamespace,
        targetNamespace: settings.namespace,
        chart: { chartRef: { kind: "OCIRepository", name: "kube-prometheus-stack-chart", namespace: args.fluxNamespace } },
        values: {
          prometheus: {
            prometheusSpec: {
              // Without these, Prometheus selects only monitors labelled with this release; the
              // PodMonitors live beside their pods in other namespaces and carry no such label.
              podMonitorSelectorNilUsesHelmValues: false,
              serviceMonitorSelectorNilUsesHelmValues: false,
              retention: "7d",
              resources: { requests: { cpu: "200m", memory: "1Gi" }, limits: { memory: "1Gi" } },
            },
          },
          grafana: {
            // Empty: the Grafana chart generates a random password into its Secret (and keeps it on
            // upgrades). The pinned chart sets none, but older ones the config allows set a well-known one.
            adminPassword: "",
            sidecar: {
              dashboards: {
                enabled: true,
                label: grafanaDashboardLabel.key,
                labelValue: grafanaDashboardLabel.value,
                // Strimzi's chart writes its dashboards into the operator's namespace.
                searchNamespace: "ALL",
              },
            },
          },
          // No receiver is configured; firing alerts still show in Prometheus and Grafana.
          alertmanager: { enabled: false },
          // node-exporter needs the host's network and PID namespaces, which this namespace's baseline
          // Pod Security level refuses; the kubelet's cAdvisor metrics still cover pods' CPU and memory.
          nodeExporter: { enabled: false },
          // Managed control planes (DOKS) do not expose these components' metrics.
          kubeControllerManager: { enabled: false },
          kubeScheduler: { enabled: false },
          kubeEtcd: { enabled: false },
          kubeProxy: { enabled: false },
        },
      },
      { parent: this, dependsOn: [source, namespace, ...args.dependsOn] },
    );

    for (const target of args.targets) {
      new k8s.apiextensions.CustomResource(
        `${name}-podmonitor-${target.name}`,
        {
          apiVersion: "monitoring.coreos.com/v1",
          kind: "PodMonitor",
          metadata: { name: target.name, namespace: target.namespace },
          spec: {
            selector: target.selector,
            podMetricsEndpoints: [{ port: target.port, path: target.path, interval: "15s" }],
          },
        },
        { parent: this, dependsOn: [this.release] },
      );
    }

    new k8s.core.v1.ConfigMap(
      `${name}-scaling-dashboard`,
      {
        metadata: {
          name: "kafka-consumer-scaling-dashboard",
          namespace: settings.namespace,
          labels: { [grafanaDashboardLabel.key]: grafanaDashboardLabel.value },
        },
        data: {
          "kafka-consumer-scaling.json": pulumi
            .output(args.scaling.deployment)
            .apply((deployment) => scalingDashboard({ ...args.scaling, deployment })),
        },
      },
      { parent: this, dependsOn: [namespace] },
    );

    this.registerOutputs({ release: this.release.metadata.name, namespace: this.namespace });
  }
}
