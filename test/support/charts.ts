// The Helm charts the program pins, as released upstream: CI points KAFKA_K8S_CHART_DIR at ../shared/charts
// (see its README for where each archive comes from). No chart registry is reachable here, so this table
// of where upstream publishes each chart stands in for the registries a real Flux fetches from.
import { existsSync } from "fs";
import { join } from "path";
import { root } from "./program";

export const chartDirVariable = "KAFKA_K8S_CHART_DIR";

/** Where upstream publishes each chart: an OCI repository (the chart is its last path segment) or a Helm repository. */
export const upstreamCharts: readonly { readonly chart: string; readonly oci?: string; readonly helmRepository?: string }[] = [
  { chart: "strimzi-kafka-operator", oci: "oci://quay.io/strimzi-helm/strimzi-kafka-operator" },
  { chart: "keda", helmRepository: "https://kedacore.github.io/charts" },
  { chart: "kube-prometheus-stack", oci: "oci://ghcr.io/prometheus-community/charts/kube-prometheus-stack" },
];

/** The chart directory: $KAFKA_K8S_CHART_DIR, else ../shared/charts beside the repository. Throws naming both when absent. */
export function chartDirectory(): string {
  const dir = process.env[chartDirVariable] ?? join(root, "..", "shared", "charts");
  if (!existsSync(dir))
    throw new Error(
      `No chart directory at ${dir}: set ${chartDirVariable} to the folder of the pinned chart archives (CI: ../shared/charts)`,
    );
  return dir;
}

/** The upstream chart archive of `chart` at `version`, or why there is none (a version upstream never released, as far as this folder knows). */
export function chartArchive(chart: string, version: string): { path: string } | { missing: string } {
  const path = join(chartDirectory(), `${chart}-${version}.tgz`);
  return existsSync(path) ? { path } : { missing: `chart ${chart} version ${version} not found (no ${path})` };
}

/** The chart an OCIRepository URL names, when it is one upstream publishes. */
export function chartOfOci(url: string): string | undefined {
  return upstreamCharts.find((c) => c.oci === url)?.chart;
}

/** Whether the Helm repository at `url` is where upstream publishes `chart`. */
export function helmRepositoryHas(url: string, chart: string): boolean {
  return upstreamCharts.some((c) => c.helmRepository === url.replace(/\/$/, "") && c.chart === chart);
}
