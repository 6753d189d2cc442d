// Gap and duplicate detection from producer sequence numbers (pure logic, no broker).
import { strict as assert } from "node:assert";
import { SequenceTracker } from "../../sample-app/src/sequence";

describe("sample app sequence tracker", () => {
  it("keeps an in-order stream as one range with no gaps or duplicates", () => {
    const t = new SequenceTracker();
    for (let i = 0; i < 1000; i++) assert.equal(t.record("p|k", 0, i), true);
    assert.deepEqual(t.summaries(), [{ stream: "p|k", partition: 0, ranges: [[0, 999]], duplicates: 0, gaps: 0 }]);
  });

  it("counts a jump as a gap until a late resend fills it", () => {
    const t = new SequenceTracker();
    for (const s of [0, 1, 2, 6, 7]) t.record("p|k", 0, s);
    assert.equal(t.gaps(), 3);
    for (const s of [4, 3]) t.record("p|k", 0, s);
    assert.equal(t.gaps(), 1);
    t.record("p|k", 0, 5);
    assert.equal(t.gaps(), 0);
    assert.deepEqual(t.summaries()[0].ranges, [[0, 7]]);
  });

  it("counts redelivered sequence numbers as duplicates, not as new messages", () => {
    const t = new SequenceTracker();
    for (const s of [0, 1, 2, 3]) t.record("p|k", 0, s);
    assert.equal(t.record("p|k", 0, 2), false);
    assert.equal(t.record("p|k", 0, 0), false);
    assert.equal(t.duplicates(), 2);
    assert.equal(t.gaps(), 0);
  });

  it("keeps streams of different producers apart", () => {
    const t = new SequenceTracker();
    t.record("a|k", 0, 0);
    t.record("b|k", 0, 0);
    assert.equal(t.duplicates(), 0);
    assert.equal(t.summaries().length, 2);
  });

  it("lists only as many whole streams as fit in the byte budget, most recently delivered first", () => {
    const t = new SequenceTracker();
    for (let i = 0; i < 100; i++) t.record(`p|k${i}`, 0, 0);
    const budget = 1000;
    const listed = t.summaries(budget);
    assert.ok(listed.length > 0 && listed.length < 100, `${listed.length} listed`);
    assert.ok(Buffer.byteLength(JSON.stringify(listed)) <= budget, `${Buffer.byteLength(JSON.stringify(listed))} bytes`);
    const next = t.summaries().slice(0, listed.length + 1);
    assert.deepEqual(listed, next.slice(0, listed.length), "the first ones of the full list");
    assert.ok(Buffer.byteLength(JSON.stringify(next)) > budget, "one more would not fit");
    assert.equal(listed[0].stream, "p|k99");
  });

  it("does not count a hand-over from another replica as a gap", () => {
    const t = new SequenceTracker();
    for (const s of [0, 1, 2]) t.record("p|k", 3, s);
    t.restartPartition(3);
    // Another replica read 3..9 while partition 3 was away; this one resumes at 10.
    for (const s of [10, 11]) t.record("p|k", 3, s);
    assert.equal(t.gaps(), 0);
    t.record("p|k", 3, 13);
    assert.equal(t.gaps(), 1, "a hole after the hand-over is still a gap");
  });

  describe("bounds", () => {
    /** A tracker on a clock the test moves, recording why each stream was dropped. */
    function bounded(maxStreams: number, idleMs: number) {
      // Not 0: lru-cache takes an entry started at time 0 for one without a start, never stale.
      const clock = { t: 1_000_000, now: () => clock.t };
      const dropped: string[] = [];
      const tracker = new SequenceTracker({ maxStreams, idleMs, clock, onEvict: (reason) => dropped.push(reason) });
      return { tracker, clock, dropped };
    }

    it("drops streams idle for longer than idleMs, keeping their gaps and duplicates in the totals", () => {
      const { tracker, clock, dropped } = bounded(1000, 60_000);
      // Producer "old" restarted as "new": its streams stop for good.
      for (const s of [0, 1, 2, 5]) tracker.record("old|k", 0, s);
      tracker.record("old|k", 0, 1);
      clock.t += 59_000;
      for (let i = 0; i < 10; i++) tracker.record("new|k", 0, i);
      clock.t += 1_001;
      tracker.prune();
      assert.deepEqual(
        tracker.summaries().map((s) => s.stream),
        ["new|k"],
      );
      assert.deepEqual(dropped, ["expire"]);
      assert.equal(tracker.gaps(), 2, "the dropped stream's open gaps still count as lost");
      assert.equal(tracker.duplicates(), 1);
      clock.t += 58_000;
      tracker.prune();
      assert.equal(tracker.size, 1, "a stream delivered to within idleMs stays");
    });

    it("keeps at most maxStreams streams however many producers come and go", () => {
      const { tracker, dropped } = bounded(100, 3600_000);
      // 1000 producer restarts x 4 keys; before the bound every one stayed for the process's life.
      for (let p = 0; p < 1000; p++) for (let k = 0; k < 4; k++) for (let s = 0; s < 3; s++) tracker.record(`p${p}|k${k}`, k, s);
      assert.equal(tracker.size, 100);
      assert.equal(dropped.length, 3900);
      assert.ok(dropped.every((r) => r === "evict"));
      assert.equal(tracker.gaps(), 0);
      assert.equal(tracker.duplicates(), 0);
    });

    it("takes a late delivery to a dropped stream as a new stream, not a duplicate or a gap", () => {
      const { tracker, clock } = bounded(1000, 1000);
      for (let s = 0; s < 5; s++) tracker.record("p|k", 0, s);
      clock.t += 5000;
      tracker.prune();
      assert.equal(tracker.record("p|k", 0, 3), true);
      assert.equal(tracker.duplicates(), 0);
      assert.equal(tracker.gaps(), 0);
    });
  });
});
