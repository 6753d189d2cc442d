// The benchmark's verdicts decide its exit code: they must pick the median and compare the right way.
import { strict as assert } from "node:assert";
import { growthPercent, limitMet, median, met, ratio, wholeMs, type Row } from "../../bench/figures";

const row = (app: number[], ref: number[], target?: Row["target"]): Row => ({ what: "x", unit: "", app, refName: "ref", ref, target });

describe("benchmark figures", () => {
  it("takes the median of the rounds, odd or even", () => {
    assert.equal(median([30, 10, 20]), 20);
    assert.equal(median([4, 1, 3, 2]), 2.5);
  });

  it("compares medians, so one slow round does not decide the verdict", () => {
    const r = row([90, 10, 95], [100, 100, 100], { op: ">=", limit: 0.9 });
    assert.equal(ratio(r), 0.9);
    assert.equal(met(r), true);
    assert.equal(met(row([80, 85, 89], [100, 100, 100], { op: ">=", limit: 0.9 })), false);
  });

  it("reads <= targets as upper bounds (latency) and gives no verdict without a target", () => {
    assert.equal(met(row([15], [10], { op: "<=", limit: 1.5 })), true);
    assert.equal(met(row([16], [10], { op: "<=", limit: 1.5 })), false);
    assert.equal(met(row([1], [10])), undefined);
  });

  it("measures growth over the last window by the medians of its ends", () => {
    const flat = Array.from({ length: 120 }, (_, i) => (i < 60 ? 50 + i : 100));
    assert.equal(growthPercent(flat), 0);
    const rising = Array.from({ length: 60 }, (_, i) => 100 + i);
    // first 10: 100..109 (median 104.5), last 10: 150..159 (median 154.5)
    assert.ok(Math.abs(growthPercent(rising) - (154.5 / 104.5 - 1) * 100) < 1e-9);
    assert.throws(() => growthPercent([1, 2, 3]), /needs 60 samples/);
  });

  it("holds a limited figure to strictly below its limit", () => {
    assert.equal(limitMet({ what: "rss", unit: "MiB", value: 149.9, op: "<", limit: 150 }), true);
    assert.equal(limitMet({ what: "rss", unit: "MiB", value: 150, op: "<", limit: 150 }), false);
  });

  it("cuts the app's latencies to whole ms, as EndToEndLatency cuts its own, before comparing", () => {
    assert.deepEqual([2.59, 2, 0.4, 17.99].map(wholeMs), [2, 2, 0, 17]);
    // Java printed p50 "1" (1-1.99 ms): an app p50 of 2.59 ms is within 2x of that, not 2.59x.
    assert.equal(met(row([wholeMs(2.59)], [1], { op: "<=", limit: 2 })), true);
    assert.equal(met(row([wholeMs(3.01)], [1], { op: "<=", limit: 2 })), false);
  });
});
