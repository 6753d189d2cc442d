// The arithmetic of KEDA 2.20.2's `kafka` trigger and of the HPA it feeds, so tests can check the app's lag
// against what KEDA would compute for the same group. Transcribed from kedacore/keda v2.20.2
// pkg/scalers/kafka_scaler.go (getLagForPartition, getTotalLag) and the HPA's AverageValue rule.

/** Offsets of one partition as KEDA reads them. */
export interface PartitionOffsets {
  /** Partition number. */
  readonly partition: number;
  /** Latest (log-end) offset. */
  readonly latest: number;
  /** The group's committed offset; null when it never committed (KEDA's invalidOffset, -1). */
  readonly committed: number | null;
}

/** The kafka trigger's metadata that changes the arithmetic. */
export interface KafkaTrigger {
  /** `lagThreshold`: target lag per replica. */
  readonly lagThreshold: number;
  /** `offsetResetPolicy`: what a partition without a committed offset counts as. */
  readonly offsetResetPolicy: "earliest" | "latest";
  /** `allowIdleConsumers`: do not cap at the partition count. */
  readonly allowIdleConsumers?: boolean;
  /** `limitToPartitionsWithLag`: cap at the partitions that have lag. */
  readonly limitToPartitionsWithLag?: boolean;
  /** `scaleToZeroOnInvalidOffset`: a partition without a committed offset counts 0. */
  readonly scaleToZeroOnInvalidOffset?: boolean;
}

/**
 * getLagForPartition: latest − committed; without a committed offset, 1 under `latest` (so a new group
 * gets a consumer) and the whole latest offset under `earliest` (not latest − earliest: KEDA does not
 * read the log-start offset), 0 for both with scaleToZeroOnInvalidOffset. excludePersistentLag is not
 * modelled (the program does not set it).
 */
export function kedaPartitionLag(p: PartitionOffsets, trigger: KafkaTrigger): number {
  if (p.committed === null) {
    if (trigger.scaleToZeroOnInvalidOffset) return 0;
    return trigger.offsetResetPolicy === "latest" ? 1 : p.latest;
  }
  return p.latest - p.committed;
}

/**
 * getTotalLag: the sum over partitions, then — unless idle consumers are allowed — capped so that
 * totalLag / lagThreshold, in Go's integer division, does not exceed the partitions (or those with lag).
 */
export function kedaTotalLag(partitions: readonly PartitionOffsets[], trigger: KafkaTrigger): number {
  const lags = partitions.map((p) => kedaPartitionLag(p, trigger));
  let total = lags.reduce((n, l) => n + l, 0);
  if (!trigger.allowIdleConsumers || trigger.limitToPartitionsWithLag) {
    const upperBound = trigger.limitToPartitionsWithLag ? lags.filter((l) => l > 0).length : partitions.length;
    if (Math.trunc(total / trigger.lagThreshold) > upperBound) total = upperBound * trigger.lagThreshold;
  }
  return total;
}

/**
 * The replicas KEDA's HPA asks for: ceil(metric / lagThreshold) for an AverageValue target, within
 * min…max. (The HPA also keeps the current count while the ratio is within its 10 % tolerance; that only
 * damps small changes and is left out.)
 */
export function kedaReplicas(totalLag: number, lagThreshold: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, Math.ceil(totalLag / lagThreshold)));
}
