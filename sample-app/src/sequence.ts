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

/** Per-stream gap and duplicate detection from the producer's sequence numbers. */
export class SequenceTracker {
  private readonly streams = new Map<string, Stream>();

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

  /**
   * Restarts gap counting for the streams of `partition`: this replica skipped offsets there
   * (another replica read them), so a jump in sequence numbers is a hand-over, not a loss.
   */
  restartPartition(partition: number): void {
    for (const s of this.streams.values()) {
      if (s.partition === partition) s.segmentStart = undefined;
    }
  }

  /** Total open gaps over all streams. */
  gaps(): number {
    let n = 0;
    for (const s of this.streams.values()) n += s.gaps();
    return n;
  }

  /** Total duplicates over all streams. */
  duplicates(): number {
    let n = 0;
    for (const s of this.streams.values()) n += s.duplicates;
    return n;
  }

  /** Snapshot of every stream, for `/api/stats`. */
  summaries(): StreamSummary[] {
    return [...this.streams].map(([stream, s]) => ({
      stream,
      partition: s.partition,
      ranges: s.ranges.map(([a, b]) => [a, b] as const),
      duplicates: s.duplicates,
      gaps: s.gaps(),
    }));
  }
}
