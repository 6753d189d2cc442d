// Every chart the program's HelmReleases install, rendered by the real Helm CLI with the values each stack
// declares, and every rendered object sent to a real kube-apiserver (the chart's CRDs installed, the rest
// as server-side apply dry-runs): what Flux would install, checked before any cluster exists. And every
// value the program sets must be one the chart reads, or a misspelt key would be silently ignored.
import { strict as assert } from "assert";
import { mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { ApiServer, buildTools, startApiServer, Tools } from "../test/support/apiserver";
import { ChartRelease, chartDirectory, chartReleases, checkValuePaths, renderChart, unpackChart } from "../test/support/charts";
import { kubernetesObjects, runProgram, StackName } from "../test/support/program";
import { pinned } from "../components/config/pinned";

type KubeObject = Record<string, any>;

const stacks: readonly StackName[] = ["dev", "do"];
const charts = ["strimzi-kafka-operator", "keda", "kube-prometheus-stack"] as const;
type ChartName = (typeof charts)[number];
// A stack without a chart's release is run again with the setting that turns it on: dev has no monitoring.
const turnOn: Record<ChartName, Record<string, unknown>> = {
  "strimzi-kafka-operator": {},
  keda: { appAutoscaling: true },
  "kube-prometheus-stack": { monitoring: true },
};

const describeObject = (o: KubeObject) => `${o.kind} ${o.metadata?.namespace ? `${o.metadata.namespace}/` : ""}${o.metadata?.name}`;
const oneLine = (text: string) => text.trim().replace(/\s*\n\s*/g, " ");

/** A dotted path set to `value` in a deep copy of `values`, `from` removed: a misspelling of `from`. */
function respelt(values: Record<string, unknown>, from: string, to: string): Record<string, unknown> {
  const copy = structuredClone(values);
  const walk = (path: string[]) => path.slice(0, -1).reduce((node: any, key) => node[key], copy);
  const [fromPath, toPath] = [from.split("."), to.split(".")];
  const value = walk(fromPath)[fromPath.at(-1)!];
  assert.notEqual(value, undefined, `the program sets no ${from}`);
  delete walk(fromPath)[fromPath.at(-1)!];
  walk(toPath)[toPath.at(-1)!] = value;
  return copy;
}

describe("charts: every pinned chart rendered with each stack's values and accepted by a real kube-apiserver", function () {
  // A cold build of the tools takes many minutes; reused, Helm and the server start in seconds.
  this.timeout(45 * 60_000);

  let tools: Tools | undefined;
  let server: ApiServer | undefined;
  let unpackDir = "";
  const releases = new Map<string, ChartRelease & { note?: string }>();
  const unpacked = new Map<string, string>();

  const key = (stack: StackName, chart: ChartName) => `${stack}/${chart}`;
  const releaseOf = (stack: StackName, chart: ChartName) => {
    const release = releases.get(key(stack, chart));
    assert.ok(release, `stack ${stack} declares no HelmRelease of chart ${chart}, not even with ${JSON.stringify(turnOn[chart])}`);
    return release;
  };
  const chartDirOf = (release: ChartRelease): string => {
    const known = unpacked.get(`${release.chart}-${release.version}`);
    if (known) return known;
    const dir = unpackChart(chartDirectory(), release.chart, release.version, mkdtempSync(join(unpackDir, `${release.chart}-`)));
    unpacked.set(`${release.chart}-${release.version}`, dir);
    return dir;
  };
  const api = (): ApiServer => {
    assert.ok(server, "the API server did not start (see the before-all hook's error)");
    return server;
  };
  const helm = (): string => {
    assert.ok(tools, "the tools were not built (see the before-all hook's error)");
    return tools.helm;
  };

  /** Applies `objects` in one kubectl call (`-n namespace` for those naming none, as Helm places them); each must be reported applied. */
  async function apply(objects: readonly KubeObject[], namespace: string, dryRun: boolean): Promise<string[]> {
    const rejected: string[] = [];
    const mode = dryRun ? ["--dry-run=server"] : [];
    for (const [batch, where] of [
      [objects.filter((o) => !o.metadata?.namespace), ["--namespace", namespace]],
      [objects.filter((o) => o.metadata?.namespace), []],
    ] as const) {
      if (batch.length === 0) continue;
      const list = JSON.stringify({ apiVersion: "v1", kind: "List", items: batch });
      const result = await api().kubectl(["apply", "--server-side", "--validate=strict", ...mode, ...where, "-f", "-"], list);
      const applied = result.stdout.split("\n").filter((l) => / serverside-applied/.test(l)).length;
      if (result.code === 0 && applied === batch.length) continue;
      // One by one only on failure, so each rejection names its object and carries the server's message.
      for (const object of batch) {
        const alone = await api().kubectl(
          ["apply", "--server-side", "--validate=strict", ...mode, ...where, "-f", "-"],
          JSON.stringify(object),
        );
        if (alone.code !== 0) rejected.push(`${describeObject(object)}: ${oneLine(alone.stderr)}`);
      }
      if (rejected.length === 0) rejected.push(`kubectl reported ${applied} of ${batch.length} objects applied: ${oneLine(result.stderr)}`);
    }
    return rejected;
  }

  /** Renders `release`, installs its CRDs (waiting until Established) and namespaces, dry-runs the rest; returns the rejections. */
  async function renderAndDryRun(release: ChartRelease): Promise<{ objects: KubeObject[]; rejected: string[] }> {
    const objects = await renderChart(helm(), chartDirOf(release), release, pinned.kubernetes);
    const crds = objects.filter((o) => o.kind === "CustomResourceDefinition");
    const rejectedCrds = await apply(crds, release.namespace, false);
    if (rejectedCrds.length > 0) return { objects, rejected: rejectedCrds };
    if (crds.length > 0) {
      const names = crds.map((c) => `customresourcedefinition/${c.metadata.name}`);
      const established = await api().kubectl(["wait", "--for=condition=Established", "--timeout=60s", ...names]);
      assert.equal(established.code, 0, `CRDs of ${release.chart} not Established: ${established.stderr}`);
    }
    const namespaces = [...new Set([release.namespace, ...objects.map((o) => o.metadata?.namespace).filter(Boolean)])].map(
      (name): KubeObject => ({ apiVersion: "v1", kind: "Namespace", metadata: { name } }),
    );
    assert.deepEqual(await apply(namespaces, release.namespace, false), [], "creating the release's namespaces");
    const rest = objects.filter((o) => o.kind !== "CustomResourceDefinition");
    return { objects, rejected: await apply(rest, release.namespace, true) };
  }

  before(async function () {
    unpackDir = mkdtempSync(join(tmpdir(), "kafka-on-k8s-charts-"));
    for (const stack of stacks) {
      const own = chartReleases(kubernetesObjects(await runProgram(stack)));
      for (const chart of charts) {
        const release = own.find((r) => r.chart === chart);
        if (release) {
          releases.set(key(stack, chart), release);
          continue;
        }
        const turnedOn = chartReleases(kubernetesObjects(await runProgram(stack, turnOn[chart]))).find((r) => r.chart === chart);
        if (turnedOn) releases.set(key(stack, chart), { ...turnedOn, note: `stack ${stack} with ${JSON.stringify(turnOn[chart])}` });
      }
    }
    tools = await buildTools();
    server = await startApiServer(tools);
    console.log(
      `    tools ${tools.reused ? "reused" : "built"} in ${tools.seconds.toFixed(1)} s; API server ready in ${server.startSeconds.toFixed(1)} s`,
    );
  });

  after(async function () {
    await server?.stop();
    if (unpackDir) rmSync(unpackDir, { recursive: true, force: true });
  });

  for (const stack of stacks) {
    for (const chart of charts) {
      it(`${chart} with stack ${stack}'s values: rendered by helm, every object accepted by the API server`, async function () {
        const release = releaseOf(stack, chart);
        if (release.note) console.log(`    (values as declared by ${release.note}: the stack itself does not install ${chart})`);
        const started = Date.now();
        const { objects, rejected } = await renderAndDryRun(release);
        const crds = objects.filter((o) => o.kind === "CustomResourceDefinition").length;
        console.log(
          `    ${chart} ${release.version} from ${release.source}: ${objects.length} objects (${crds} CRDs) into ${release.namespace}, ${((Date.now() - started) / 1000).toFixed(1)} s`,
        );
        // Guards against passing vacuously: every one of these charts runs an operator.
        assert.ok(
          objects.some((o) => o.kind === "Deployment"),
          `${chart} rendered no Deployment`,
        );
        assert.deepEqual(rejected, [], `the API server rejected objects of ${chart} ${release.version} (stack ${stack})`);
      });

      it(`${chart}: every value stack ${stack} sets is one the chart reads`, function () {
        const release = releaseOf(stack, chart);
        const verdicts = checkValuePaths(chartDirOf(release), chart, release.values);
        if (verdicts.length === 0) console.log(`    stack ${stack} sets no values for ${chart}`);
        for (const v of verdicts) console.log(`    ${v.verdict.padEnd(7)} ${v.path} (${v.where})`);
        assert.deepEqual(
          verdicts.filter((v) => v.verdict === "unknown").map((v) => v.path),
          [],
          `values of stack ${stack} that ${chart} ${release.version} never reads`,
        );
      });
    }
  }

  describe("each check can fail", function () {
    for (const [chart, from, to] of [
      ["kube-prometheus-stack", "grafana.sidecar.dashboards.searchNamespace", "grafana.sidecar.dashboards.serchNamespace"],
      ["strimzi-kafka-operator", "watchNamespaces", "watchNamespacez"],
    ] as const) {
      it(`a misspelt ${chart} value is caught with its full path: ${to}`, function () {
        const release = releaseOf("do", chart);
        const verdicts = checkValuePaths(chartDirOf(release), chart, respelt(release.values, from, to));
        assert.deepEqual(
          verdicts.filter((v) => v.verdict === "unknown").map((v) => v.path),
          [to],
        );
      });
    }

    it("values.schema.json counts as the chart reading a key, and its open objects take any keys below", function () {
      // None of the pinned charts ships a schema; a chart made here stands in for one that does.
      const chartDir = mkdtempSync(join(unpackDir, "schema-"));
      writeFileSync(join(chartDir, "values.yaml"), "image: {tag: latest}\n");
      const schema = {
        type: "object",
        properties: { image: { type: "object", properties: { tag: {}, digest: {} } }, podLabels: { type: "object" } },
        additionalProperties: false,
      };
      writeFileSync(join(chartDir, "values.schema.json"), JSON.stringify(schema));
      const values = { image: { digest: "sha256:0", tags: "x" }, podLabels: { team: "kafka" } };
      assert.deepEqual(
        checkValuePaths(chartDir, "made-here", values).map((v) => `${v.verdict} ${v.path}`),
        ["read image.digest", "unknown image.tags", "open podLabels.team"],
      );
    });

    it("a chart version with no archive fails naming chart and version", function () {
      const release = releaseOf("do", "strimzi-kafka-operator");
      assert.throws(() => chartDirOf({ ...release, version: "1.2.99" }), /no archive of chart strimzi-kafka-operator 1\.2\.99 in /);
    });

    it("a rendered object the API server rejects fails with its kind, name and the server's message", async function () {
      const release = releaseOf("do", "strimzi-kafka-operator");
      // The chart copies `resources` into the operator's Deployment unchecked; the server refuses the quantity.
      const values = { ...release.values, resources: { requests: { memory: "384 megs" } } };
      const { rejected } = await renderAndDryRun({ ...release, values });
      assert.equal(rejected.length, 1, rejected.join("\n"));
      assert.match(rejected[0], /^Deployment strimzi-system\/strimzi-cluster-operator: .*quantities must match the regular expression/);
    });
  });
});
