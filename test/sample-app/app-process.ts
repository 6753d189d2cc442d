// Runs the built sample app (`node sample-app/dist/main.js`) as a real child process and reads its
// HTTP API, so tests see exactly what a Kubernetes pod would run.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, statSync } from "node:fs";
import * as path from "node:path";
import type { Stats } from "../../sample-app/src/app";
import type { StreamSummary } from "../../sample-app/src/sequence";

export const appDir = path.resolve(__dirname, "..", "..", "sample-app");
const mainJs = path.join(appDir, "dist", "main.js");

function newestMtime(dir: string): number {
  return Math.max(
    ...readdirSync(dir, { withFileTypes: true }).map((e) =>
      e.isDirectory() ? newestMtime(path.join(dir, e.name)) : statSync(path.join(dir, e.name)).mtimeMs,
    ),
  );
}

/** Installs (if needed) and builds sample-app when dist is missing or older than its sources. */
export function ensureBuilt(): void {
  if (!existsSync(path.join(appDir, "node_modules", "kafkajs"))) {
    console.log("sample-app: npm ci (node_modules missing)");
    execFileSync("npm", ["ci", "--no-audit", "--no-fund"], { cwd: appDir, stdio: "inherit" });
  }
  if (!existsSync(mainJs) || statSync(mainJs).mtimeMs < newestMtime(path.join(appDir, "src"))) {
    console.log("sample-app: npm run build (dist missing or stale)");
    execFileSync("npm", ["run", "build"], { cwd: appDir, stdio: "inherit" });
  }
}

/** One JSON log line of the app. */
export type LogLine = Record<string, unknown> & { readonly msg: string };

/** A running app process. */
export class AppProcess {
  readonly lines: LogLine[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<number | null>;
  private port: number | undefined;
  private metricsPort: number | undefined;
  /** The token POST /messages needs: the test's own unless `env` sets APP_POST_TOKEN (or "" for none). */
  readonly postToken: string;
  private readonly child: ChildProcess;

  /** `nodeArgs`: flags for node itself, e.g. `--cpu-prof` (which NODE_OPTIONS does not accept). */
  constructor(env: Record<string, string>, nodeArgs: readonly string[] = []) {
    // A fresh one per process, as the program makes one per stack.
    this.postToken = env.APP_POST_TOKEN ?? randomBytes(32).toString("hex");
    this.child = spawn(process.execPath, [...nodeArgs, mainJs], {
      // PATH etc. only: the test's own KAFKA_* variables must not leak into the app.
      env: { PATH: process.env.PATH ?? "", HTTP_PORT: "0", METRICS_PORT: "0", ...env, APP_POST_TOKEN: this.postToken },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let buffered = "";
    this.child.stdout!.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      const parts = buffered.split("\n");
      buffered = parts.pop()!;
      for (const p of parts) {
        try {
          const line = JSON.parse(p) as LogLine;
          this.lines.push(line);
          if (line.msg === "http listening") this.port = line.port as number;
          if (line.msg === "metrics listening") this.metricsPort = line.port as number;
        } catch {
          this.stderr.push(p);
        }
      }
    });
    this.child.stderr!.on("data", (chunk: Buffer) => this.stderr.push(chunk.toString()));
    this.exited = new Promise((resolve) => this.child.once("exit", (code) => resolve(code)));
  }

  /** The process id (for resource sampling). */
  get pid(): number {
    return this.child.pid!;
  }

  /** Base URL once the HTTP server listens. */
  async url(): Promise<string> {
    await waitFor("app HTTP port", async () => this.port !== undefined, 20_000);
    return `http://127.0.0.1:${this.port}`;
  }

  /** URL of GET /metrics, on the metrics listener. */
  async metricsUrl(): Promise<string> {
    await this.url();
    return `http://127.0.0.1:${this.metricsPort}/metrics`;
  }

  /** Headers of a POST /messages that carries this process's token. */
  postHeaders(): Record<string, string> {
    return { "content-type": "application/json", authorization: `Bearer ${this.postToken}` };
  }

  /** `/api/stats`, with every stream's sequence ranges unless `withStreams` is false. */
  async stats(withStreams = true): Promise<Stats> {
    const res = await fetch(`${await this.url()}/api/stats${withStreams ? "?streams=1" : ""}`);
    return (await res.json()) as Stats;
  }

  /** Sends a signal and returns the exit code. */
  async signal(sig: NodeJS.Signals): Promise<number | null> {
    this.child.kill(sig);
    return this.exited;
  }

  /** The streams the app logged when it stopped cleanly. */
  finalStreams(): StreamSummary[] {
    const last = this.lines.find((l) => l.msg === "stopped cleanly");
    if (!last) throw new Error(`no "stopped cleanly" log line; stderr:\n${this.stderr.join("").slice(-3000)}`);
    return last.streams as StreamSummary[];
  }

  /** Kills the process if still running (test clean-up). */
  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGKILL");
  }

  /** Recent output, for assertion messages. */
  tail(): string {
    return [...this.lines.slice(-15).map((l) => JSON.stringify(l)), ...this.stderr.slice(-5)].join("\n");
  }
}

/** Polls `check` every `everyMs` until it is true; fails naming `what` after `timeoutMs`. */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number, everyMs = 250): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // The app may not answer yet.
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Number of distinct sequence numbers in a stream. */
export const distinct = (s: Pick<StreamSummary, "ranges">): number => s.ranges.reduce((n, [a, b]) => n + b - a + 1, 0);

/**
 * Merges several consumers' views per stream: the ranges each stream's sequence numbers were seen in,
 * and how many were seen by more than one (re-read) consumer.
 */
export function mergeStreams(
  views: ReadonlyArray<readonly StreamSummary[]>,
): Map<string, { ranges: Array<[number, number]>; overlap: number }> {
  const seen = new Map<string, Array<[number, number]>>();
  for (const view of views)
    for (const s of view) seen.set(s.stream, [...(seen.get(s.stream) ?? []), ...s.ranges.map(([a, b]) => [a, b] as [number, number])]);
  const out = new Map<string, { ranges: Array<[number, number]>; overlap: number }>();
  for (const [stream, list] of seen) {
    list.sort((x, y) => x[0] - y[0]);
    const merged: Array<[number, number]> = [];
    let overlap = 0;
    for (const [a, b] of list) {
      const last = merged[merged.length - 1];
      if (last && a <= last[1] + 1) {
        overlap += Math.max(0, Math.min(b, last[1]) - a + 1);
        last[1] = Math.max(last[1], b);
      } else merged.push([a, b]);
    }
    out.set(stream, { ranges: merged, overlap });
  }
  return out;
}

/**
 * Asserts the consumers together saw every one of `total` messages of the producer `producerId`:
 * each of its streams is one range starting at 0, and the ranges add up to `total`.
 */
export function missingOf(
  producerId: string,
  total: number,
  views: ReadonlyArray<readonly StreamSummary[]>,
): { missing: number; reRead: number; holes: string[] } {
  const merged = [...mergeStreams(views)].filter(([stream]) => stream.startsWith(`${producerId}|`));
  const holes = merged
    .filter(([, m]) => m.ranges.length !== 1 || m.ranges[0][0] !== 0)
    .map(([s, m]) => `${s}: ${JSON.stringify(m.ranges)}`);
  const seen = merged.reduce((n, [, m]) => n + distinct(m), 0);
  return { missing: total - seen, reRead: merged.reduce((n, [, m]) => n + m.overlap, 0), holes };
}
