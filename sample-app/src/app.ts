import type { Kafka } from "kafkajs";
import { runsConsumer, runsProducer, type AppConfig } from "./config";
import { SampleConsumer, type ConsumerStatus } from "./consumer";
import { GroupWatcher, type GroupView } from "./group";
import { createKafka } from "./kafka";
import { Metrics } from "./metrics";
import { SampleProducer, type ProducerStatus } from "./producer";
import type { StreamSummary } from "./sequence";
import { percentile, RateHistory, type RatePoint, type RecentMessage } from "./stats";

/** Body of `/readyz`. */
export interface Readiness {
  /** True when every role of this process is connected. */
  readonly ready: boolean;
  /** What is not ready yet. */
  readonly waitingFor: string[];
}

/** Body of `/api/stats`; the dashboard renders exactly this. */
export interface Stats {
  /** Roles of this process. */
  readonly role: AppConfig["role"];
  /** Kafka client id. */
  readonly clientId: string;
  /** Topic produced to / consumed from. */
  readonly topic: string;
  /** Consumer group id. */
  readonly groupId: string;
  /** Readiness as in `/readyz`. */
  readonly ready: boolean;
  /** Producer state; null in a consumer-only process. */
  readonly producer: (ProducerStatus & { readonly rate: number | "max" }) | null;
  /** Consumer state; null in a producer-only process. */
  readonly consumer:
    | (ConsumerStatus & {
        readonly duplicates: number;
        readonly gaps: number;
        readonly latencyMs: { readonly p50: number | null; readonly p99: number | null; readonly samples: number };
      })
    | null;
  /** Throughput, group lag and group members over the last two minutes, one point a second. */
  readonly rates: RatePoint[];
  /** Group-wide offsets, lag and assignment. */
  readonly group: GroupView;
  /** Latest processed messages, newest last. */
  readonly recent: RecentMessage[];
  /** Per-stream sequence ranges (only with `?streams=1`), as many as fit in {@link STREAMS_MAX_BYTES}. */
  readonly streams?: StreamSummary[];
  /** Streams held but left out of `streams` (only with `?streams=1`); 0 when the list is complete. */
  readonly streamsOmitted?: number;
}

/**
 * Most bytes of JSON `/api/stats?streams=1` spends on streams. The whole table of 100 000 streams (the
 * default MAX_STREAMS) is ~9 MB; four clients reading it at once took the process to 369-377 MiB.
 */
export const STREAMS_MAX_BYTES = 1 << 20;

/** Everything one process runs, wired by role. */
export class App {
  readonly metrics = new Metrics();
  readonly producer: SampleProducer | undefined;
  readonly consumer: SampleConsumer | undefined;
  private readonly watcher: GroupWatcher;
  private readonly rates = new RateHistory();
  private readonly kafka: Kafka;
  private sampler: NodeJS.Timeout | undefined;

  constructor(private readonly config: AppConfig) {
    this.kafka = createKafka(config);
    this.producer = runsProducer(config) ? new SampleProducer(this.kafka, config, this.metrics) : undefined;
    this.consumer = runsConsumer(config) ? new SampleConsumer(this.kafka, config, this.metrics) : undefined;
    this.watcher = new GroupWatcher(this.kafka, config, this.metrics);
  }

  /** Starts every role; connection failures are retried in the background, never fatal. */
  start(): void {
    this.sampler = setInterval(() => {
      const group = this.watcher.current();
      this.rates.sample(
        this.producer?.status().produced ?? 0,
        this.consumer?.status().consumed ?? 0,
        group.updatedAt === null || group.error !== null
          ? null
          : { lag: group.partitions.reduce((n, p) => n + p.lag, 0), members: group.members.length },
      );
      this.producer?.prune();
      this.consumer?.tracker.prune();
      this.metrics.gaps.set(this.consumer?.tracker.gaps() ?? 0);
      this.metrics.ready.set(this.readiness().ready ? 1 : 0);
    }, 1000);
    this.watcher.start();
    void this.producer?.start();
    void this.consumer?.start();
  }

  /** Producer first (its in-flight sends finish), then the consumer (its last batch commits). */
  async stop(): Promise<void> {
    clearInterval(this.sampler);
    await this.producer?.stop();
    await this.consumer?.stop();
    await this.watcher.stop();
  }

  /** Totals logged after a clean stop, so a scaled-down replica's share can be reconciled. */
  summary(): Record<string, unknown> {
    const c = this.consumer;
    return {
      produced: this.producer?.status().produced,
      consumed: c?.status().consumed,
      duplicates: c?.tracker.duplicates(),
      gaps: c?.tracker.gaps(),
      streams: c?.tracker.summaries(),
    };
  }

  readiness(): Readiness {
    const waitingFor: string[] = [];
    if (this.producer && !this.producer.status().connected) waitingFor.push("producer connection");
    if (this.consumer && !this.consumer.status().joined) waitingFor.push("consumer group membership");
    return { ready: waitingFor.length === 0, waitingFor };
  }

  stats(withStreams: boolean): Stats {
    const c = this.consumer;
    const latencies = c?.latencies.values() ?? [];
    const streams = withStreams ? (c?.tracker.summaries(STREAMS_MAX_BYTES) ?? []) : undefined;
    return {
      role: this.config.role,
      clientId: this.config.clientId,
      topic: this.config.topic,
      groupId: this.config.groupId,
      ready: this.readiness().ready,
      producer: this.producer ? { ...this.producer.status(), rate: this.config.produceRate } : null,
      consumer: c
        ? {
            ...c.status(),
            duplicates: c.tracker.duplicates(),
            gaps: c.tracker.gaps(),
            latencyMs: { p50: percentile(latencies, 50), p99: percentile(latencies, 99), samples: latencies.length },
          }
        : null,
      rates: this.rates.values(),
      group: this.watcher.current(),
      recent: c?.recent.values() ?? [],
      streams,
      streamsOmitted: streams && (c?.tracker.size ?? 0) - streams.length,
    };
  }
}
