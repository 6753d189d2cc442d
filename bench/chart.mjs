// Draws the benchmark's result (bench/results/bench.json, written by bench/run.ts) as an SVG with
// Vega-Lite: app/reference ratios against their targets, the latency percentiles, and the app's RSS.
// A separate ES module because Vega uses top-level await, which CommonJS (the rest of the repo) cannot load.
// Usage: node bench/chart.mjs RESULT.json OUT.svg
import { readFileSync, writeFileSync } from "node:fs";
import * as vega from "vega";
import { compile } from "vega-lite";

const [input, output] = process.argv.slice(2);
if (!input || !output) {
  console.error("usage: node bench/chart.mjs RESULT.json OUT.svg");
  process.exit(2);
}
const result = JSON.parse(readFileSync(input, "utf8"));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const ratios = result.rows.map((r) => ({
  comparison: `${r.what} vs ${r.refName}`,
  ratio: r.ratio,
  target: r.target?.limit,
  verdict: r.met === undefined ? "no target" : r.met ? "met" : "missed",
}));
const latency = result.rows
  .filter((r) => r.unit === "ms")
  .flatMap((r) => [
    { percentile: r.what.split(" ")[2], who: "app", ms: median(r.app) },
    { percentile: r.what.split(" ")[2], who: r.refName, ms: median(r.ref) },
  ]);
const rss = result.rssMiB.map((mib, second) => ({ second, mib }));

const spec = {
  title: `sample app vs references: ${result.records} records, median of ${result.rounds} rounds`,
  vconcat: [
    {
      title: "app / reference (bar) and target (tick)",
      width: 520,
      layer: [
        {
          data: { values: ratios },
          mark: "bar",
          encoding: {
            y: { field: "comparison", type: "nominal", sort: null, title: null, axis: { labelLimit: 400 } },
            x: { field: "ratio", type: "quantitative", title: "app / reference" },
            color: {
              field: "verdict",
              type: "nominal",
              scale: { domain: ["met", "missed", "no target"], range: ["#4c9a2a", "#c0392b", "#999999"] },
            },
          },
        },
        {
          data: { values: ratios.filter((r) => r.target !== undefined) },
          mark: { type: "tick", color: "black", thickness: 2 },
          encoding: { y: { field: "comparison", type: "nominal", sort: null }, x: { field: "target", type: "quantitative" } },
        },
      ],
    },
    {
      hconcat: [
        {
          title: "end-to-end latency (ms, median of rounds)",
          data: { values: latency },
          mark: "bar",
          encoding: {
            x: { field: "percentile", type: "nominal", title: null },
            xOffset: { field: "who" },
            y: { field: "ms", type: "quantitative" },
            color: { field: "who", type: "nominal" },
          },
        },
        {
          title: "app RSS while producing and consuming (MiB)",
          width: 300,
          data: { values: rss },
          mark: "line",
          encoding: { x: { field: "second", type: "quantitative" }, y: { field: "mib", type: "quantitative", scale: { zero: false } } },
        },
      ],
      resolve: { scale: { color: "independent" } },
    },
  ],
  resolve: { scale: { color: "independent" } },
};

const view = new vega.View(vega.parse(compile(spec).spec), { renderer: "none" });
writeFileSync(output, await view.toSVG());
