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
});
