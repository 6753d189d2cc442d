// The app's record value: one line of JSON saying who sent the message, its place in its stream and
// when, then a newline, then the body (the padding of a generated message, or the text of a
// `POST /messages`). Readable as it is in any Kafka tool: `{"producer":"3f9a1c","seq":41,"sentAt":…}`.
//
// Not Kafka headers, which would be the usual place: KafkaJS 2.2.4 encodes each header into a buffer
// of its own (512 bytes, zero-filled) and decodes each into a copy of the headers object. With the
// three headers the app used to send, KafkaJS spent 1.6-2x the CPU of a plain 1 KiB record to encode
// and about 4x to decode it; with this line, 1.15-1.5x and 1.1x (`npm run bench:codec`).

/** Who sent a message, its place in its stream (producer id + key) and when. */
export interface RecordMeta {
  /** Producer id of the stream: the process's random id, `~n` appended when the key's counter was dropped. */
  readonly producer: string;
  /** Sequence number of the message in its stream, from 0. */
  readonly seq: number;
  /** Wall-clock send time, ms since the epoch with sub-ms digits. */
  readonly sentAt: number;
}

/**
 * What a consumer reads from a record value: "tracked", the app's record; "invalid", the app's line
 * (it names a `producer`) with a sequence number that is not a non-negative safe integer; "foreign",
 * no such line: read, not tracked. `sentAt` is undefined unless it is a finite number. The body is
 * `value.subarray(bodyStart)`, not cut here: the consumer shows a few bodies per batch, not every one.
 */
export type ReadRecord =
  | {
      readonly kind: "tracked";
      readonly producer: string;
      readonly seq: number;
      readonly sentAt: number | undefined;
      readonly bodyStart: number;
    }
  | { readonly kind: "invalid"; readonly sentAt: number | undefined; readonly bodyStart: number }
  | { readonly kind: "foreign"; readonly sentAt: undefined; readonly bodyStart: 0 };

const NEWLINE = 0x0a;
/** A metadata line is short; a longer first line is someone else's body, not parsed. */
const MAX_LINE_BYTES = 256;

/** The metadata line, newline included. */
function line(meta: RecordMeta): string {
  return `${JSON.stringify({ producer: meta.producer, seq: meta.seq, sentAt: meta.sentAt })}\n`;
}

/**
 * A generated message's value: the metadata line, then `padding` up to `size` bytes in all (longer
 * than `size` when the line alone is). `padding` must be ASCII and at least `size` bytes long.
 */
export function generatedValue(meta: RecordMeta, padding: Buffer, size: number): Buffer {
  const head = line(meta);
  const value = Buffer.allocUnsafe(Math.max(size, head.length));
  const written = value.write(head, 0, "latin1");
  // allocUnsafe: bytes the padding did not cover would send old process memory to Kafka.
  if (padding.length < value.length - written) throw new RangeError(`padding of ${padding.length} bytes cannot fill a ${size}-byte value`);
  padding.copy(value, written, 0, value.length - written);
  return value;
}

/** A `POST /messages` value: the metadata line, then the caller's text as it was given. */
export const textValue = (meta: RecordMeta, text: string): Buffer => Buffer.from(line(meta) + text);

const FOREIGN = { kind: "foreign", sentAt: undefined, bodyStart: 0 } as const;

/** Reads a record value written by {@link generatedValue} or {@link textValue}, or by anyone else. */
export function readRecord(value: Buffer | null): ReadRecord {
  if (value === null) return FOREIGN;
  const end = value.indexOf(NEWLINE);
  if (end < 0 || end > MAX_LINE_BYTES || value[0] !== 0x7b /* { */) return FOREIGN;
  let parsed: unknown;
  try {
    // latin1 decodes the ASCII the app writes at half the cost of utf8; another writer's non-ASCII line
    // is garbled at worst, and such a line names no producer of the app's.
    parsed = JSON.parse(value.toString("latin1", 0, end));
  } catch {
    return FOREIGN;
  }
  const { producer, seq, sentAt } = (parsed ?? {}) as Record<string, unknown>;
  if (typeof producer !== "string") return FOREIGN;
  const bodyStart = end + 1;
  const time = typeof sentAt === "number" && Number.isFinite(sentAt) ? sentAt : undefined;
  // NaN, fractions or negatives would each open a range of their own in the tracker: memory per message.
  if (typeof seq !== "number" || !Number.isSafeInteger(seq) || seq < 0) return { kind: "invalid", sentAt: time, bodyStart };
  return { kind: "tracked", producer, seq, sentAt: time, bodyStart };
}
