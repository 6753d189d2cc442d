/** The node-pool fields that decide how many nodes the cluster always has. */
export interface NodePoolSize {
  /** Fixed node count (without autoscaling). */
  readonly nodeCount?: number;
  /** Whether the autoscaler manages the pool. */
  readonly autoScale?: boolean;
  /** Lower bound of the autoscaler. */
  readonly minNodes?: number;
}

/**
 * Nodes a DOKS node pool always has: `minNodes` under autoscaling (it may shrink to that), otherwise
 * `nodeCount`. 0 when neither is set, which is what the check should see.
 */
export function guaranteedNodes(pool: NodePoolSize | undefined): number {
  return (pool?.autoScale ? pool.minNodes : pool?.nodeCount) ?? 0;
}

/** Human-readable name of the field `guaranteedNodes` read. */
export function nodeCountField(pool: NodePoolSize | undefined): string {
  return pool?.autoScale ? "nodePool.minNodes (autoScale)" : "nodePool.nodeCount";
}
