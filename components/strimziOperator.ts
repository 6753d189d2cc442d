import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { StrimziSettings } from "./config";
import { operatorRelease } from "./helmRelease";
import { componentNamespace, PodSecurityLevel } from "./namespace";

export const strimziChartUrl = "oci://quay.io/strimzi-helm/strimzi-kafka-operator";
/** Labels Strimzi puts on its cluster operator's pods. */
export const strimziOperatorPodLabels = { "strimzi.io/kind": "cluster-operator" };

export interface StrimziOperatorArgs {
  /** Namespace of the Flux controllers and sources. */
  readonly fluxNamespace: string;
  /** Chart version, replicas, namespaces. */
  readonly settings: StrimziSettings;
  /** Label of the ConfigMaps Grafana loads dashboards from; unset: the chart ships no dashboards. */
  readonly grafanaDashboardLabel?: { readonly key: string; readonly value: string };
  /** Pod Security Standard the operator's namespace enforces. */
  readonly podSecurity: PodSecurityLevel;
  /** Pod Security Standard the namespaces it watches enforce, where it runs the Kafka pods. */
  readonly watchedPodSecurity: PodSecurityLevel;
  /** Resources the release waits for: Flux ready. */
  readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

/**
 * The Strimzi cluster operator, installed by Flux from its OCI chart. Pulumi declares the Flux source
 * and HelmRelease and waits until the release is Ready (see operatorRelease). It owns the namespaces it
 * watches as well as its own: its chart writes RoleBindings into them, so they must exist before the
 * release, which everything in them waits for.
 */
export class StrimziOperator extends pulumi.ComponentResource {
  /** The HelmRelease; Ready means the operator runs and its CRDs are installed. */
  public readonly release: k8s.apiextensions.CustomResource;

  constructor(name: string, args: StrimziOperatorArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kafka-on-k8s:strimzi:StrimziOperator", name, {}, opts);
    const { settings } = args;

    // These namespaces were declared at the stack's top level as ns-<name>; the aliases keep existing
    // stacks from replacing them, which would delete everything inside.
    const namespace = (suffix: string, namespaceName: string, enforce: PodSecurityLevel) =>
      componentNamespace(`${name}-${suffix}`, namespaceName, enforce, {
        parent: this,
        aliases: [{ name: `ns-${namespaceName}`, parent: pulumi.rootStackResource }],
      });
    const namespaces = [
      namespace("namespace", settings.namespace, args.podSecurity),
      ...settings.watchNamespaces.map((watched) => namespace(`watched-${watched}`, watched, args.watchedPodSecurity)),
    ];

    const source = new k8s.apiextensions.CustomResource(
      `${name}-chart`,
      {
        apiVersion: "source.toolkit.fluxcd.io/v1",
        kind: "OCIRepository",
        metadata: { name: "strimzi-chart", namespace: args.fluxNamespace },
        spec: {
          interval: "1h",
          url: strimziChartUrl,
          // An exact tag: an operator upgrade is a reviewed config change, never a silent one.
          ref: { tag: settings.chartVersion },
          layerSelector: { mediaType: "application/vnd.cncf.helm.chart.content.v1.tar+gzip", operation: "copy" },
        },
      },
      { parent: this, dependsOn: args.dependsOn },
    );

    this.release = operatorRelease(
      `${name}-release`,
      {
        name: "strimzi-operator",
        fluxNamespace: args.fluxNamespace,
        targetNamespace: settings.namespace,
        chart: { chartRef: { kind: "OCIRepository", name: "strimzi-chart", namespace: args.fluxNamespace } },
        values: {
          replicas: settings.replicas,
          watchNamespaces: settings.watchNamespaces,
          leaderElection: { enable: true },
          // Operands get the restricted Pod Security Standard's security contexts, so the Kafka
          // namespace can enforce it.
          extraEnvs: [{ name: "STRIMZI_POD_SECURITY_PROVIDER_CLASS", value: "restricted" }],
          resources: {
            requests: { cpu: "200m", memory: "384Mi" },
            limits: { memory: "384Mi" },
          },
          // Strimzi's own Grafana dashboards (Kafka, KRaft, Kafka Exporter, operators), as ConfigMaps
          // from the chart, so none is copied into this repository.
          ...(args.grafanaDashboardLabel
            ? {
                dashboards: { enabled: true, label: args.grafanaDashboardLabel.key, labelValue: args.grafanaDashboardLabel.value },
              }
            : {}),
        },
      },
      { parent: this, dependsOn: [source, ...namespaces, ...args.dependsOn] },
    );

    // With standbys, a drain keeps the leader or a standby running.
    if (settings.replicas > 1) {
      new k8s.policy.v1.PodDisruptionBudget(
        `${name}-pdb`,
        {
          metadata: { name: "strimzi-cluster-operator", namespace: settings.namespace },
          spec: { maxUnavailable: 1, selector: { matchLabels: strimziOperatorPodLabels } },
        },
        { parent: this, dependsOn: [...namespaces, ...args.dependsOn] },
      );
    }

    this.registerOutputs({ release: this.release.metadata.name });
  }
}
