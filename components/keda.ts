import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { KedaSettings } from "./config";
import { operatorRelease } from "./helmRelease";
import { componentNamespace, PodSecurityLevel } from "./namespace";

export const kedaChartRepository = "https://kedacore.github.io/charts";

/** Labels the KEDA chart puts on its operator pods: the ones that query Kafka for consumer lag. */
export const kedaOperatorPodLabels = { "app.kubernetes.io/name": "keda-operator" };

export interface KedaArgs {
  /** Namespace of the Flux controllers and sources. */
  readonly fluxNamespace: string;
  /** Chart version and namespace. */
  readonly settings: KedaSettings;
  /** Pod Security Standard KEDA's namespace enforces. */
  readonly podSecurity: PodSecurityLevel;
  /** Resources the release waits for: Flux ready. */
  readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

/**
 * KEDA, installed by Flux from its Helm repository into its own namespace. Pulumi waits until the
 * HelmRelease is Ready, as for Strimzi: only then do the ScaledObject and TriggerAuthentication CRDs exist.
 */
export class Keda extends pulumi.ComponentResource {
  /** The HelmRelease; Ready means the operator runs and its CRDs are installed. */
  public readonly release: k8s.apiextensions.CustomResource;
  /** Namespace the operator runs in. */
  public readonly namespace: string;

  constructor(name: string, args: KedaArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kafka-on-k8s:keda:Keda", name, {}, opts);
    const { settings } = args;
    this.namespace = settings.namespace;

    const namespace = componentNamespace(`${name}-namespace`, settings.namespace, args.podSecurity, { parent: this });

    const source = new k8s.apiextensions.CustomResource(
      `${name}-charts`,
      {
        apiVersion: "source.toolkit.fluxcd.io/v1",
        kind: "HelmRepository",
        metadata: { name: "kedacore", namespace: args.fluxNamespace },
        spec: { interval: "1h", url: kedaChartRepository },
      },
      { parent: this, dependsOn: args.dependsOn },
    );

    this.release = operatorRelease(
      `${name}-release`,
      {
        name: "keda",
        fluxNamespace: args.fluxNamespace,
        targetNamespace: settings.namespace,
        chart: {
          chart: {
            spec: {
              chart: "keda",
              // An exact version: an operator upgrade is a reviewed config change, never a silent one.
              version: settings.chartVersion,
              sourceRef: { kind: "HelmRepository", name: "kedacore", namespace: args.fluxNamespace },
            },
          },
        },
      },
      { parent: this, dependsOn: [source, namespace, ...args.dependsOn] },
    );

    this.registerOutputs({ release: this.release.metadata.name, namespace: this.namespace });
  }
}
