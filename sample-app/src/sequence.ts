import { LRUCache } from "lru-cache";

/** What one stream (producer id + key) looks like to this consumer. */
export interface StreamSummary {
  /** `producerId|key`. */
  readonly stream: string;
  /** Partition the stream's key hashes to. */
  readonly partition: number;
  /** Closed ranges `[from, to]` of sequence numbers seen, ascending. */
  readonly ranges: ReadonlyArray<readonly [number, number]>;
  /** Deliveries of a sequence number already seen. */
  readonly duplicates: number;
  /** Sequence numbers missing since this replica (re)gained the partition. */
  readonly gaps: number;
}

/**
 * Seen sequence numbers of one stream as sorted closed ranges: a stream read in order is one range,
 * so memory grows with the number of holes, not with the number of messages.
 */
class Stream {
  readonly ranges: Array<[number, number]> = [];
  duplicates = 0;
  /** First sequence number seen since the partition was (re)assigned; gaps are counted from here. */
  segmentStart: number | undefined;

  constructor(public partition: number) {}

  /** Records `seq`; returns false when it was already seen. */
  add(seq: number): boolean {
    this.segmentStart ??= seq;
    const r = this.ranges;
    const last = r[r.length - 1];
    if (last && seq === last[1] + 1) {
      last[1] = seq;
      return true;
    }
    // Binary search for the first range ending at or after seq - 1.
    let lo = 0;
    let hi = r.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (r[mid][1] < seq - 1) lo = mid + 1;
      else hi = mid;
    }
    const at = r[lo];
    if (at && at[0] <= seq && seq <= at[1]) {
      this.duplicates++;
      return false;
    }
    if (at && at[1] === seq - 1) {
      at[1] = seq;
      const next = r[lo + 1];
      if (next && next[0] === seq + 1) {
        at[1] = next[1];
        r.splice(lo + 1, 1);
      }
    } else if (at && at[0] === seq + 1) {
      at[0] = seq;
    } else {
      r.splice(lo, 0, [seq, seq]);
    }
    return true;
  }

  /** Holes between the segment start and the highest sequence number seen. */
  gaps(): number {
    if (this.segmentStart === undefined || this.ranges.length === 0) return 0;
    const from = this.segmentStart;
    let missing = 0;
    for (let i = this.ranges.length - 1; i > 0; i--) {
      const [start] = this.ranges[i];
      const prevEnd = this.ranges[i - 1][1];
      if (start <= from) break;
      missing += start - Math.max(prevEnd + 1, from);
    }
    return missing;
  }
}

/** Bounds of a {@link SequenceTracker}. */
export interface TrackerLimits {
  /** Most streams kept; the least recently delivered go first. */
  readonly maxStreams: number;
  /** A stream with no delivery for this long is dropped. */
  readonly idleMs: number;
  /** Called for each dropped stream: "evict" over `maxStreams`, "expire" when idle. */
  readonly onEvict?: (reason: "evict" | "expire") => void;
  /** Clock for idle times, in ms (tests pass their own). */
  readonly clock?: { now(): number };
}

/**
 * Per-stream gap and duplicate detection from the producer's sequence numbers.
 *
 * Every producer restart brings new streams (new producer id) and the old ones stop, so streams are
 * dropped when idle or least recently used. Their open gaps and duplicates are kept in the totals: a
 * loss seen must not vanish from the counter because its stream went quiet. A late delivery to a
 * dropped stream starts a new one (gap counting starts at its first number), so it is not a duplicate.
 */
export class SequenceTracker {
  private readonly streams: LRUCache<string, Stream>;
  private droppedGaps = 0;
  private droppedDuplicates = 0;

  constructor(limits: TrackerLimits = { maxStreams: 100_000, idleMs: 3600_000 }) {
    this.streams = new LRUCache<string, Stream>({
      max: limits.maxStreams,
      ttl: limits.idleMs,
      updateAgeOnGet: true,
      perf: limits.clock ?? performance,
      // No clock caching: lru-cache's 1 ms cache arms a timer on each clock read, once per message here.
      ttlResolution: 0,
      dispose: (s, _key, reason) => {
        if (reason !== "evict" && reason !== "expire") return;
        this.droppedGaps += s.gaps();
        this.droppedDuplicates += s.duplicates;
        limits.onEvict?.(reason);
      },
    });
  }

  /** Records a delivery; returns false for a duplicate. */
  record(stream: string, partition: number, seq: number): boolean {
    let s = this.streams.get(stream);
    if (!s) {
      s = new Stream(partition);
      this.streams.set(stream, s);
    }
    s.partition = partition;
    return s.add(seq);
  }

  /** Drops idle streams (LRUCache removes expired entries only when asked). */
  prune(): void {
    this.streams.purgeStale();
  }

  /** Streams held. */
  get size(): number {
    return this.streams.size;
  }

  /**
   * Restarts gap counting for the streams of `partition`: this replica skipped offsets there
   * (another replica read them), so a jump in sequence numbers is a hand-over, not a loss.
   */
  restartPartition(partition: number): void {
    for (const s of this.streams.values()) {
      if (s.partition === partition) s.segmentStart = undefined;
    }
  }

  /** Total open gaps over all streams, dropped ones included. */
  gaps(): number {
    let n = this.droppedGaps;
    for (const s of this.streams.values()) n += s.gaps();
    return n;
  }

  /** Total duplicates over all streams, dropped ones included. */
  duplicates(): number {
    let n = this.droppedDuplicates;
    for (const s of this.streams.values()) n += s.duplicates;
    return n;
  }

  /** Snapshot of the streams held, most recently delivered first, as many whole streams as fit in `maxBytes` of JSON. */
  summaries(maxBytes = Infinity): StreamSummary[] {
    const streams: StreamSummary[] = [];
    let bytes = 2;
    for (const [stream, s] of this.streams.entries()) {
      const summary: StreamSummary = {
        stream,
        partition: s.partition,
        ranges: s.ranges.map(([a, b]) => [a, b] as const),
        duplicates: s.duplicates,
        gaps: s.gaps(),
      };
      bytes += Buffer.byteLength(JSON.stringify(summary)) + 1;
      if (bytes > maxBytes) break;
      streams.push(summary);
    }
    return streams;
  }
}
