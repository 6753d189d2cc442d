// The Helm charts the program's HelmReleases install, as released upstream: which archive a release
// names, what `helm template` makes of it with the program's values, and whether each value the program
// sets is one the chart reads. CI points KAFKA_K8S_CHART_DIR at ../shared/charts (see its README). No
// chart registry is reachable here, so `upstreamCharts` (where upstream publishes each chart) and that
// folder stand in for the registries a real Flux fetches from.
import { execFileSync } from "child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "fs";
import { join } from "path";
import { parse, parseAllDocuments } from "yaml";
import { root } from "./program";
import { runCaptured } from "./run";

type KubeObject = Record<string, any>;

export const chartDirVariable = "KAFKA_K8S_CHART_DIR";

/** The folder of chart archives: $KAFKA_K8S_CHART_DIR, else ../shared/charts beside the repository. */
export function chartDirectory(): string {
  const dir = process.env[chartDirVariable] ?? join(root, "..", "shared", "charts");
  if (!existsSync(dir)) throw new Error(`${dir}: no such directory; set ${chartDirVariable} to the folder of the chart archives`);
  return dir;
}

/** Where upstream publishes each chart: an OCI repository (the chart is its last path segment) or a Helm repository. */
export const upstreamCharts: readonly { readonly chart: string; readonly oci?: string; readonly helmRepository?: string }[] = [
  { chart: "strimzi-kafka-operator", oci: "oci://quay.io/strimzi-helm/strimzi-kafka-operator" },
  { chart: "keda", helmRepository: "https://kedacore.github.io/charts" },
  { chart: "kube-prometheus-stack", oci: "oci://ghcr.io/prometheus-community/charts/kube-prometheus-stack" },
];

/** The upstream archive of `chart` at `version`, or why there is none (a version upstream never released, as far as the folder knows). */
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

/** One HelmRelease of the program with the chart it names. */
export interface ChartRelease {
  /** Helm release name. */
  readonly release: string;
  /** Namespace the chart installs into. */
  readonly namespace: string;
  /** Chart name, as in its Chart.yaml. */
  readonly chart: string;
  /** Exact chart version. */
  readonly version: string;
  /** Where Flux fetches it from: the OCI repository or the Helm repository's URL. */
  readonly source: string;
  /** spec.values as the program declares them. */
  readonly values: Record<string, unknown>;
}

const findSource = (objects: readonly KubeObject[], kind: string, name: string): KubeObject => {
  const source = objects.find((o) => o.kind === kind && o.metadata?.name === name);
  if (!source) throw new Error(`no ${kind} named ${name} among the program's objects`);
  return source;
};

/** Each HelmRelease among `objects`, with its chart: `chartRef` to an OCIRepository, or `chart.spec` from a HelmRepository. */
export function chartReleases(objects: readonly KubeObject[]): ChartRelease[] {
  return objects
    .filter((o) => o.kind === "HelmRelease")
    .map((o) => {
      const { spec } = o;
      const common = { release: spec.releaseName ?? o.metadata.name, namespace: spec.targetNamespace, values: spec.values ?? {} };
      if (spec.chartRef) {
        const oci = findSource(objects, spec.chartRef.kind, spec.chartRef.name);
        // An OCI chart's name is the repository's last path segment.
        return { ...common, chart: oci.spec.url.split("/").pop(), version: oci.spec.ref.tag, source: oci.spec.url };
      }
      const repository = findSource(objects, spec.chart.spec.sourceRef.kind, spec.chart.spec.sourceRef.name);
      return { ...common, chart: spec.chart.spec.chart, version: spec.chart.spec.version, source: repository.spec.url };
    });
}

/**
 * The archive of `chart` at `version` in `dir`, unpacked into `into` (Helm's archive layout: a folder named
 * after the chart). Throws, naming chart and version, when there is none or its Chart.yaml says otherwise.
 */
export function unpackChart(dir: string, chart: string, version: string, into: string): string {
  const archive = join(dir, `${chart}-${version}.tgz`);
  if (!existsSync(archive)) {
    const have = readdirSync(dir).filter((f) => f.endsWith(".tgz"));
    throw new Error(`no archive of chart ${chart} ${version} in ${dir} (it has: ${have.join(", ") || "none"})`);
  }
  execFileSync("tar", ["-xzf", archive, "-C", into]);
  const unpacked = join(into, chart);
  const meta = existsSync(join(unpacked, "Chart.yaml")) ? parse(readFileSync(join(unpacked, "Chart.yaml"), "utf8")) : undefined;
  if (meta?.name !== chart || meta?.version !== version) {
    throw new Error(`${archive} holds chart ${meta?.name} ${meta?.version}, not ${chart} ${version}`);
  }
  return unpacked;
}

/**
 * `helm template` of the unpacked `chartDir` as `release` would install it (its CRDs included, test hooks
 * left out, as `helm install` creates none), for Kubernetes `kubeVersion`. Throws with Helm's message.
 */
export async function renderChart(helm: string, chartDir: string, release: ChartRelease, kubeVersion: string): Promise<KubeObject[]> {
  const args = ["template", release.release, chartDir, "--namespace", release.namespace, "--values", "-"];
  const rendered = await runCaptured(helm, [...args, "--include-crds", "--skip-tests", "--kube-version", kubeVersion], {
    input: JSON.stringify(release.values),
  });
  if (rendered.code !== 0) throw new Error(`helm template ${release.chart} ${release.version}: ${rendered.stderr.trim()}`);
  return parseAllDocuments(rendered.stdout)
    .map((doc) => doc.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null);
}

/** Where a value the program sets is read by the chart, or that it is not. */
export interface ValuePathVerdict {
  /** Dotted path of the value, e.g. `grafana.sidecar.dashboards.label`. */
  readonly path: string;
  /** `read`: declared or referenced; `open`: below a map the chart takes whole; `unknown`: the chart never reads it. */
  readonly verdict: "read" | "open" | "unknown";
  /** Why: the file that declares or references it, or the open map it falls under. */
  readonly where: string;
}

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Each path to a value in `values`; a list is one value (its items are the chart's to interpret). */
function valuePaths(values: Record<string, unknown>, prefix: string[] = []): string[][] {
  return Object.entries(values).flatMap(([key, value]) =>
    isMap(value) && Object.keys(value).length > 0 ? valuePaths(value, [...prefix, key]) : [[...prefix, key]],
  );
}

type Lookup = { found: "yes" } | { found: "open"; depth: number } | { found: "no" };

/** Follows `path` through values.yaml's defaults: an empty map on the way takes any keys below it. */
function inDefaults(defaults: unknown, path: readonly string[]): Lookup {
  let node = defaults;
  for (const [depth, key] of path.entries()) {
    if (!isMap(node)) return { found: "no" };
    if (!(key in node)) return Object.keys(node).length === 0 && depth > 0 ? { found: "open", depth } : { found: "no" };
    node = node[key];
  }
  return { found: "yes" };
}

/** Follows `path` through a JSON schema's properties: an object without declared properties, or with additionalProperties, is open. */
function inSchema(schema: Record<string, any>, path: readonly string[]): Lookup {
  let node = schema;
  for (const [depth, key] of path.entries()) {
    const properties: Record<string, any> | undefined = node.properties;
    if (properties && key in properties) node = properties[key];
    else if ((node.additionalProperties ?? false) !== false || (node.type === "object" && !properties)) return { found: "open", depth };
    else return { found: "no" };
  }
  return { found: "yes" };
}

/** What decides whether an unpacked chart reads a value: its defaults, its schema, its own templates (not its subcharts'). */
interface ChartSources {
  readonly defaults: unknown;
  readonly schema?: Record<string, any>;
  readonly templates: string;
}
const sourcesByDir = new Map<string, ChartSources>();
function sourcesOf(chartDir: string): ChartSources {
  const cached = sourcesByDir.get(chartDir);
  if (cached) return cached;
  const walk = (dir: string): string[] =>
    readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? walk(join(dir, f)) : [readFileSync(join(dir, f), "utf8")]));
  const schemaFile = join(chartDir, "values.schema.json");
  const sources = {
    defaults: parse(readFileSync(join(chartDir, "values.yaml"), "utf8")),
    schema: existsSync(schemaFile) ? JSON.parse(readFileSync(schemaFile, "utf8")) : undefined,
    templates: existsSync(join(chartDir, "templates")) ? walk(join(chartDir, "templates")).join("\n") : "",
  };
  sourcesByDir.set(chartDir, sources);
  return sources;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Decides one path against the chart at `chartDir`, then its subchart named by the path's first key. */
function lookUp(chartDir: string, chartName: string, path: readonly string[]): Omit<ValuePathVerdict, "path"> {
  const dotted = path.join(".");
  const { defaults, schema, templates } = sourcesOf(chartDir);
  const fromDefaults = inDefaults(defaults, path);
  if (fromDefaults.found === "yes") return { verdict: "read", where: `${chartName} values.yaml` };
  if (fromDefaults.found === "open") {
    return { verdict: "open", where: `below ${path.slice(0, fromDefaults.depth).join(".")}: {} in ${chartName} values.yaml` };
  }
  if (schema) {
    const fromSchema = inSchema(schema, path);
    if (fromSchema.found === "yes") return { verdict: "read", where: `${chartName} values.schema.json` };
    if (fromSchema.found === "open") {
      return {
        verdict: "open",
        where: `below ${path.slice(0, fromSchema.depth).join(".")}, an open object in ${chartName} values.schema.json`,
      };
    }
  }
  // Some keys are only commented in values.yaml (e.g. Grafana's adminPassword) and read by the templates.
  if (new RegExp(`\\.Values\\.${escape(dotted)}(?![\\w-])`).test(templates)) {
    return { verdict: "read", where: `${chartName} templates` };
  }
  const subchart = join(chartDir, "charts", path[0]);
  if (path.length > 1 && existsSync(join(subchart, "values.yaml"))) return lookUp(subchart, `${chartName} > ${path[0]}`, path.slice(1));
  return { verdict: "unknown", where: `not in ${chartName} values.yaml, values.schema.json, templates or a subchart` };
}

/** Each value path in `values`, and whether the unpacked chart at `chartDir` reads it. */
export function checkValuePaths(chartDir: string, chartName: string, values: Record<string, unknown>): ValuePathVerdict[] {
  return valuePaths(values).map((path) => ({ path: path.join("."), ...lookUp(chartDir, chartName, path) }));
}
