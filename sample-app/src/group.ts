import { AssignerProtocol, type Admin, type Kafka } from "kafkajs";
import type { AppConfig } from "./config";
import { logKafkaFailure, sleep } from "./kafka";
import type { Metrics } from "./metrics";

/** Offsets of one partition as the admin client sees them. */
export interface PartitionView {
  /** Partition number. */
  readonly partition: number;
  /** Log-end offset (high watermark). */
  readonly end: number;
  /** The group's committed offset; null when it never committed. */
  readonly committed: number | null;
  /** Messages not yet committed by the group. */
  readonly lag: number;
}

/** One member of the consumer group and what it owns. */
export interface MemberView {
  /** Group member id. */
  readonly memberId: string;
  /** Client id (the pod or host name). */
  readonly clientId: string;
  /** Address the member connects from. */
  readonly host: string;
  /** Partitions of the topic it owns. */
  readonly partitions: number[];
}

/** The group as a whole, polled through the admin client. */
export interface GroupView {
  /** Group state, e.g. Stable or PreparingRebalance. */
  readonly state: string;
  /** Per-partition offsets and lag. */
  readonly partitions: PartitionView[];
  /** Members with their assignment. */
  readonly members: MemberView[];
  /** Epoch ms of the last successful poll; null before the first. */
  readonly updatedAt: number | null;
  /** Last poll error, cleared by the next success. */
  readonly error: string | null;
}

const POLL_MS = 2000;

/**
 * Polls topic end offsets, committed offsets and group membership. Lag needs the admin client: a
 * consumer only knows the partitions it owns, while the dashboard shows every partition and member.
 */
export class GroupWatcher {
  private admin: Admin | undefined;
  private running = false;
  private done: Promise<void> = Promise.resolve();
  private view: GroupView = { state: "Unknown", partitions: [], members: [], updatedAt: null, error: null };

  constructor(
    private readonly kafka: Kafka,
    private readonly config: AppConfig,
    private readonly metrics: Metrics,
  ) {}

  start(): void {
    this.running = true;
    this.done = this.loop();
  }

  /** Whether the admin client has reached Kafka recently. */
  connected(): boolean {
    return this.view.updatedAt !== null && this.view.error === null;
  }

  current(): GroupView {
    return this.view;
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
    await this.admin?.disconnect();
  }

  private async loop(): Promise<void> {
    while (this.running) {
      try {
        if (!this.admin) {
          const admin = this.kafka.admin();
          await admin.connect();
          this.admin = admin;
        }
        this.view = await this.poll(this.admin);
      } catch (err) {
        if (this.view.error === null) logKafkaFailure(this.config, "group poll failed", err);
        this.view = { ...this.view, error: String((err as Error).message ?? err) };
      }
      await sleep(POLL_MS);
    }
  }

  private async poll(admin: Admin): Promise<GroupView> {
    const { topic, groupId } = this.config;
    const [ends, committed, groups] = await Promise.all([
      admin.fetchTopicOffsets(topic),
      admin.fetchOffsets({ groupId, topics: [topic] }),
      admin.describeGroups([groupId]),
    ]);
    const committedBy = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
    const partitions = ends
      .map((e): PartitionView => {
        const end = Number(e.high);
        const c = committedBy.get(e.partition);
        const has = c !== undefined && c >= 0;
        return { partition: e.partition, end, committed: has ? c : null, lag: Math.max(0, end - (has ? c : Number(e.low))) };
      })
      .sort((a, b) => a.partition - b.partition);
    for (const p of partitions) this.metrics.lag.set({ partition: String(p.partition) }, p.lag);
    const group = groups.groups[0];
    const members = (group?.members ?? []).map((m): MemberView => {
      const decoded = m.memberAssignment.length > 0 ? AssignerProtocol.MemberAssignment.decode(m.memberAssignment) : null;
      return {
        memberId: m.memberId,
        clientId: m.clientId,
        host: m.clientHost,
        partitions: [...(decoded?.assignment[topic] ?? [])].sort((a, b) => a - b),
      };
    });
    this.metrics.groupMembers.set(members.length);
    return { state: group?.state ?? "Unknown", partitions, members, updatedAt: Date.now(), error: null };
  }
}
