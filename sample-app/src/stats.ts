/** One processed message, for the dashboard's "recent messages" list. */
export interface RecentMessage {
  /** Partition it was read from. */
  readonly partition: number;
  /** Offset within the partition. */
  readonly offset: string;
  /** Message key. */
  readonly key: string;
  /** Producer sequence number, when the message carries one. */
  readonly seq: number | null;
  /** First bytes of the value. */
  readonly preview: string;
  /** Produce-to-process latency in ms. */
  readonly latencyMs: number | null;
  /** Whether the sequence number was already seen. */
  readonly duplicate: boolean;
}

/** A fixed-size ring that keeps the newest values. */
export class Ring<T> {
  private readonly items: T[] = [];
  private next = 0;
  constructor(private readonly size: number) {}
  push(v: T): void {
    if (this.items.length < this.size) this.items.push(v);
    else this.items[this.next] = v;
    this.next = (this.next + 1) % this.size;
  }
  /** Oldest first. */
  values(): T[] {
    return this.items.length < this.size ? [...this.items] : [...this.items.slice(this.next), ...this.items.slice(0, this.next)];
  }
}

/** Percentile of an unsorted sample (nearest rank); null for an empty sample. */
export function percentile(sample: readonly number[], p: number): number | null {
  if (sample.length === 0) return null;
  // A typed-array sort is several times faster than Array#sort with a comparator; this runs in the
  // same event loop as the consumer, so a slow one would show up as message latency.
  const sorted = Float64Array.from(sample).sort();
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** One point of the throughput chart. */
export interface RatePoint {
  /** Epoch ms of the sample. */
  readonly t: number;
  /** Messages acknowledged per second over the last interval. */
  readonly produced: number;
  /** Messages processed per second over the last interval. */
  readonly consumed: number;
  /** The group's total lag at the sample; null while the admin client has no view of the group. */
  readonly lag: number | null;
  /** Members of the consumer group (its replicas) at the sample; null while there is no view. */
  readonly members: number | null;
}

/**
 * Turns two ever-growing counts into per-second rates, sampled once a second, beside the group's lag and
 * member count at that moment, so scaling shows next to the throughput it follows.
 */
export class RateHistory {
  private readonly points = new Ring<RatePoint>(120);
  private last = { t: Date.now(), produced: 0, consumed: 0 };

  sample(produced: number, consumed: number, group: { readonly lag: number; readonly members: number } | null): void {
    const t = Date.now();
    const dt = (t - this.last.t) / 1000;
    if (dt <= 0) return;
    this.points.push({
      t,
      produced: (produced - this.last.produced) / dt,
      consumed: (consumed - this.last.consumed) / dt,
      lag: group?.lag ?? null,
      members: group?.members ?? null,
    });
    this.last = { t, produced, consumed };
  }

  values(): RatePoint[] {
    return this.points.values();
  }
}
