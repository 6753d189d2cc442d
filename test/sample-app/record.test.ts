// The app's record value: the metadata line the producer writes and the consumer reads (no broker).
import { strict as assert } from "node:assert";
import { generatedValue, readRecord, textValue } from "../../sample-app/src/record";

const padding = Buffer.alloc(2048, "x");
const meta = { producer: "3f9a1c~2", seq: 41, sentAt: 1764143000123.456 };

describe("sample app record value", () => {
  it("makes a generated value of exactly the configured size, metadata first, and reads it back", () => {
    for (const size of [64, 100, 1024, 2048]) {
      const value = generatedValue(meta, padding, size);
      assert.equal(value.length, size, `size ${size}`);
      const read = readRecord(value);
      assert.deepEqual({ ...read, bodyStart: undefined }, { kind: "tracked", ...meta, bodyStart: undefined });
      assert.match(value.subarray(read.bodyStart).toString(), /^x*$/);
    }
  });

  it("refuses padding too short to fill the value rather than send uninitialised memory", () => {
    assert.throws(() => generatedValue(meta, Buffer.alloc(100, "x"), 1024), /padding of 100 bytes cannot fill a 1024-byte value/);
  });

  it("lets the metadata line overflow a size too small for it rather than cut it", () => {
    const value = generatedValue(meta, padding, 10);
    assert.equal(readRecord(value).kind, "tracked");
    assert.ok(value.length > 10);
  });

  it("keeps a posted text as given after the metadata line, multi-byte characters and newlines included", () => {
    const text = '{"order":7}\nzweite Zeile: ü€😀';
    const value = textValue(meta, text);
    const read = readRecord(value);
    assert.equal(read.kind, "tracked");
    assert.equal(value.subarray(read.bodyStart).toString(), text);
  });

  it("writes a line any Kafka tool shows as JSON", () => {
    const value = generatedValue(meta, padding, 200).toString();
    assert.deepEqual(JSON.parse(value.slice(0, value.indexOf("\n"))), meta);
  });

  it("counts a line with a producer and a sequence number that is not a non-negative safe integer as invalid", () => {
    for (const seq of ['"7"', "-1", "1.5", "9007199254740993", "null", '"abc"']) {
      const read = readRecord(Buffer.from(`{"producer":"p","seq":${seq},"sentAt":5}\nbody`));
      assert.equal(read.kind, "invalid", seq);
      assert.equal(read.sentAt, 5, seq);
    }
    for (const seq of [0, 7, 9007199254740991]) {
      const read = readRecord(Buffer.from(`{"producer":"p","seq":${seq}}\n`));
      assert.deepEqual([read.kind, read.kind === "tracked" && read.seq, read.sentAt], ["tracked", seq, undefined], String(seq));
    }
  });

  it("reads other writers' values as foreign, untouched", () => {
    for (const text of [
      "plain text",
      '{"producer":"p","seq":1}',
      '{"seq":1}\nx',
      "{not json\nx",
      `{"producer":"p","pad":"${"y".repeat(300)}"}\nx`,
      "",
    ]) {
      const read = readRecord(Buffer.from(text));
      assert.equal(read.kind, "foreign", text);
      assert.equal(read.bodyStart, 0, text);
    }
    assert.equal(readRecord(null).kind, "foreign");
  });
});
