// What every operator release of this program shares: Flux installs it, Pulumi waits until it is Ready.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

/** Where a Flux HelmRelease lives, what it installs into, and from which chart. */
export interface OperatorReleaseSpec {
  /** Release name (also the HelmRelease's name). */
  readonly name: string;
  /** Namespace of the Flux controllers and sources. */
  readonly fluxNamespace: string;
  /** Namespace the chart installs into. */
  readonly targetNamespace: string;
  /** `chart` or `chartRef`, as Flux takes them. */
  readonly chart: { chart: Record<string, unknown> } | { chartRef: Record<string, unknown> };
  /** Chart values. */
  readonly values?: Record<string, unknown>;
}

/**
 * A HelmRelease that installs and upgrades its chart's CRDs and that Pulumi waits on until Ready: only
 * then do the operator's CRDs exist, and pulumi-kubernetes' own retry on a missing CRD (~30 s) is far
 * shorter than a Flux install.
 */
export function operatorRelease(
  resourceName: string,
  spec: OperatorReleaseSpec,
  opts: pulumi.CustomResourceOptions,
): k8s.apiextensions.CustomResource {
  return new k8s.apiextensions.CustomResource(
    resourceName,
    {
      apiVersion: "helm.toolkit.fluxcd.io/v2",
      kind: "HelmRelease",
      metadata: {
        name: spec.name,
        namespace: spec.fluxNamespace,
        annotations: {
          "pulumi.com/waitFor": "condition=Ready",
          "pulumi.com/timeoutSeconds": "900",
        },
      },
      spec: {
        interval: "30m",
        releaseName: spec.name,
        targetNamespace: spec.targetNamespace,
        ...spec.chart,
        install: { crds: "CreateReplace", remediation: { retries: 3 } },
        upgrade: { crds: "CreateReplace", remediation: { retries: 3, remediateLastFailure: true } },
        ...(spec.values ? { values: spec.values } : {}),
      },
    },
    opts,
  );
}
