// The benchmark's figures and verdicts, apart from bench/run.ts so tests can import them without running it.

/** One figure per round, in round order. */
export type Runs = number[];

/** A row of the result table: a measure of the app against a reference, with an optional target. */
export interface Row {
  /** What is measured. */
  readonly what: string;
  /** Unit of the figures. */
  readonly unit: string;
  /** The app's figure in each round. */
  readonly app: Runs;
  /** Name of the reference. */
  readonly refName: string;
  /** The reference's figure in each round. */
  readonly ref: Runs;
  /** app/ref must be at least (`>=`) or at most (`<=`) `limit`; absent: no verdict. */
  readonly target?: { readonly op: ">=" | "<="; readonly limit: number };
}

/** A figure with an absolute limit (memory), not a ratio. */
export interface Limit {
  /** What is measured. */
  readonly what: string;
  /** Unit of value and limit. */
  readonly unit: string;
  /** The app's figure. */
  readonly value: number;
  /** The value must stay below the limit. */
  readonly op: "<";
  readonly limit: number;
}

/** Median of the rounds. */
export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Median of the app over median of the reference. */
export const ratio = (r: Row): number => median(r.app) / median(r.ref);
/** Whether the row meets its target; undefined without one. */
export const met = (r: Row): boolean | undefined =>
  r.target === undefined ? undefined : r.target.op === ">=" ? ratio(r) >= r.target.limit : ratio(r) <= r.target.limit;

/**
 * A latency cut to whole milliseconds as Kafka's EndToEndLatency cuts each of its samples before it
 * prints integer percentiles (kafka-tools 4.3.1 bytecode: elapsed ns / 1000 / 1000 stored as a long,
 * printed with %d). Its "1" means 1 to 1.99 ms, so the app's figures are cut the same way before the
 * two are compared; cutting each sample or the percentile gives the same, as the cut keeps the order.
 */
export const wholeMs = (ms: number): number => Math.floor(ms);

/** Whether a limited figure stays below its limit. */
export const limitMet = (l: Limit): boolean => l.value < l.limit;

/**
 * Growth in percent over the last `window` samples: the median of its last `edge` samples against the
 * median of its first `edge` (medians, so one GC spike at either end does not decide it).
 */
export function growthPercent(samples: readonly number[], window = 60, edge = 10): number {
  if (samples.length < window) throw new Error(`growth needs ${window} samples, got ${samples.length}`);
  const last = samples.slice(-window);
  return (median(last.slice(-edge)) / median(last.slice(0, edge)) - 1) * 100;
}
