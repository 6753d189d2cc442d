import { randomBytes } from "node:crypto";
import { CompressionTypes, Partitioners, type Kafka, type Message, type Producer, type RecordMetadata } from "kafkajs";
import type { AppConfig } from "./config";
import { logKafkaFailure, sleep } from "./kafka";
import { log } from "./log";
import type { Metrics } from "./metrics";

/** Header names every generated message carries; the consumer checks sequences with them. */
export const HEADER = { producer: "x-producer", seq: "x-seq", sentAt: "x-sent-at" } as const;

/** Sub-millisecond wall-clock time, so latencies below 1 ms are not rounded to 0. */
export const nowMs = (): number => performance.timeOrigin + performance.now();

/** Producer state shown by `/api/stats`. */
export interface ProducerStatus {
  /** Random id of this producer instance; part of every stream id. */
  readonly id: string;
  /** Whether a KafkaJS producer is connected. */
  readonly connected: boolean;
  /** `send` calls in flight. */
  readonly inFlight: number;
  /** Messages waiting to be sent again after a rejected `send`. */
  readonly awaitingResend: number;
  /** Messages acknowledged by Kafka. */
  readonly produced: number;
  /** `send` calls rejected after the client's retries. */
  readonly sendFailures: number;
  /** Messages of resolved `send` calls whose partition Kafka never acknowledged; sent again. */
  readonly unconfirmed: number;
}

/** Result of `POST /messages`. */
export type OwnSendResult =
  | { readonly status: "sent"; readonly records: RecordMetadata[] }
  | { readonly status: "queued"; readonly error: string };

/** Consecutive rejected sends after which the KafkaJS producer is thrown away and made anew. */
const RECREATE_AFTER_FAILURES = 3;
/** How far (in seconds of messages) the rate limiter may catch up after an outage. */
const MAX_CATCH_UP_SECONDS = 5;
/** Stands for "sent to more than one partition within one send": no response can vouch for it. */
const SEVERAL_PARTITIONS = -1;

/** What Kafka acknowledged of one batch. */
interface BatchResult {
  readonly records: RecordMetadata[];
  /** Messages whose partition no record covers; already queued for resend. */
  readonly unconfirmed: number;
}

/**
 * Sends sequenced, keyed messages at a fixed rate or as fast as possible.
 *
 * Not idempotent on purpose (see README): KafkaJS's idempotent producer was measured to lose
 * acknowledged messages after a broker restart with several sends in flight. Instead every rejected
 * batch is kept and sent again until Kafka acknowledges it; the price is duplicates, which the
 * consumer detects and counts.
 *
 * A resolved `send` is not trusted as a whole: KafkaJS 2.2.4 can resolve one whose messages for some
 * partitions were never stored (kafkajs#1303: a partition whose leader moved, during the send's
 * retries, to a broker that had already answered is not sent again). A message counts as produced
 * only when the returned metadata holds an acknowledgement for the partition KafkaJS put it in;
 * the rest go back to the resend queue.
 */
export class SampleProducer {
  readonly id = `${process.env.HOSTNAME ?? "local"}-${randomBytes(3).toString("hex")}`;
  private producer: Producer | undefined;
  private readonly seqs = new Map<string, number>();
  private readonly resend: Message[][] = [];
  private inFlight = 0;
  private failures = 0;
  private running = false;
  private loopDone: Promise<void> = Promise.resolve();
  private kick: () => void = () => undefined;
  private recreating: Promise<void> | undefined;
  private generated = 0;
  private startedAt = 0;
  private limitLogged = false;
  private produced = 0;
  private sendFailures = 0;
  private unconfirmed = 0;
  /** Partition KafkaJS chose for each message of a send in progress (set by its partitioner). */
  private readonly partitionOf = new WeakMap<Message, number>();
  private rateBase = { t: 0, generated: 0 };
  private readonly padding: string;

  constructor(private readonly kafka: Kafka, private readonly config: AppConfig, private readonly metrics: Metrics) {
    this.padding = "x".repeat(config.messageBytes);
  }

  /** Connects (retrying while Kafka is away) and starts generating messages. */
  async start(): Promise<void> {
    this.running = true;
    await this.connect();
    this.startedAt = Date.now();
    this.rateBase = { t: this.startedAt, generated: 0 };
    this.loopDone = this.loop();
  }

  status(): ProducerStatus {
    return {
      id: this.id,
      connected: this.producer !== undefined,
      inFlight: this.inFlight,
      awaitingResend: this.resend.reduce((n, b) => n + b.length, 0),
      produced: this.produced,
      sendFailures: this.sendFailures,
      unconfirmed: this.unconfirmed,
    };
  }

  /** Sends user-supplied messages now; if Kafka rejects them they are queued for resend like any batch. */
  async sendOwn(items: ReadonlyArray<{ readonly key?: string; readonly value: string }>): Promise<OwnSendResult> {
    const batch = items.map((i) => this.message(i.key ?? `${this.id}-http`, i.value));
    const producer = this.producer;
    if (!producer) {
      this.resend.push(batch);
      return { status: "queued", error: "producer not connected" };
    }
    try {
      const { records, unconfirmed } = await this.sendBatch(producer, batch);
      if (unconfirmed > 0) {
        return { status: "queued", error: `Kafka acknowledged ${batch.length - unconfirmed} of ${batch.length} messages; the rest are queued for resend` };
      }
      return { status: "sent", records };
    } catch (err) {
      return { status: "queued", error: String((err as Error).message) };
    }
  }

  /** Stops generating, waits for in-flight sends, tries once more to send rejected batches, disconnects. */
  async stop(): Promise<void> {
    this.running = false;
    this.kick();
    await this.loopDone;
    while (this.inFlight > 0) await sleep(20);
    const producer = this.producer;
    if (producer) {
      for (const batch of this.resend.splice(0)) {
        await this.sendBatch(producer, batch).catch(() => undefined);
      }
    }
    const unsent = this.status().awaitingResend;
    if (unsent > 0) log("warn", "stopping with messages Kafka never acknowledged", { unsent });
    this.producer = undefined;
    await producer?.disconnect();
  }

  private async connect(): Promise<void> {
    for (let attempt = 1; this.running; attempt++) {
      const producer = this.kafka.producer({
        idempotent: false,
        allowAutoTopicCreation: false,
        createPartitioner: () => {
          const choose = Partitioners.DefaultPartitioner();
          return (args) => {
            const partition = choose(args);
            // KafkaJS partitions again on each retry; a message whose partition changed between tries
            // (the topic grew) cannot be matched with one acknowledgement, so it is resent.
            const before = this.partitionOf.get(args.message);
            this.partitionOf.set(args.message, before === undefined || before === partition ? partition : SEVERAL_PARTITIONS);
            return partition;
          };
        },
        // About 25 s of retries: longer than a broker restart under load (10-14 s measured).
        retry: { initialRetryTime: 300, maxRetryTime: 5000, retries: 8 },
      });
      try {
        await producer.connect();
        this.producer = producer;
        log("info", "producer connected", { producerId: this.id });
        return;
      } catch (err) {
        logKafkaFailure(this.config, "producer connect failed; retrying", err, { attempt });
        await producer.disconnect().catch(() => undefined);
        await sleep(Math.min(5000, 500 * attempt));
      }
    }
  }

  /** Makes a fresh KafkaJS producer; concurrent callers share one attempt. */
  private recreate(): Promise<void> {
    this.recreating ??= (async () => {
      const old = this.producer;
      this.producer = undefined;
      this.metrics.producerRecreated.inc();
      log("warn", "recreating producer after repeated send failures", { failures: this.failures });
      await old?.disconnect().catch(() => undefined);
      await this.connect();
      this.failures = 0;
    })().finally(() => {
      this.recreating = undefined;
    });
    return this.recreating;
  }

  private async loop(): Promise<void> {
    while (this.running) {
      const producer = this.producer;
      if (!producer || this.inFlight >= this.config.maxInFlight) {
        await this.waitForKick(100);
        continue;
      }
      const batch = this.resend.shift() ?? this.nextBatch();
      if (!batch) {
        await this.waitForKick(this.msUntilNextDue());
        continue;
      }
      this.inFlight++;
      void this.sendBatch(producer, batch)
        .catch(() => undefined)
        .finally(() => {
          this.inFlight--;
          this.kick();
        });
    }
  }

  /**
   * Sends one batch and counts as produced only the messages whose partition Kafka acknowledged; the
   * others, or the whole batch when `send` rejects, are queued for resend. Repeated rejections
   * recreate the producer.
   */
  private async sendBatch(producer: Producer, batch: Message[]): Promise<BatchResult> {
    const topic = this.config.topic;
    for (const m of batch) this.partitionOf.delete(m);
    let records: RecordMetadata[];
    try {
      records = await producer.send({
        topic,
        acks: -1,
        compression: this.config.compression === "gzip" ? CompressionTypes.GZIP : CompressionTypes.None,
        messages: batch,
      });
    } catch (err) {
      this.resend.push(batch);
      this.failures++;
      this.sendFailures++;
      this.metrics.sendFailures.inc();
      log("warn", "send rejected; batch queued for resend", { messages: batch.length, error: String((err as Error).message) });
      if (this.failures >= RECREATE_AFTER_FAILURES && this.running) await this.recreate();
      else await sleep(500);
      throw err;
    }
    this.failures = 0;
    const acknowledged = new Set(records.filter((r) => r.topicName === topic && r.errorCode === 0).map((r) => r.partition));
    const unconfirmed = batch.filter((m) => !acknowledged.has(this.partitionOf.get(m) ?? SEVERAL_PARTITIONS));
    const confirmed = batch.length - unconfirmed.length;
    this.produced += confirmed;
    this.metrics.produced.inc(confirmed);
    if (unconfirmed.length > 0) {
      this.resend.push(unconfirmed);
      this.unconfirmed += unconfirmed.length;
      this.metrics.unconfirmed.inc(unconfirmed.length);
      const partitions = [...new Set(unconfirmed.map((m) => this.partitionOf.get(m)))].sort();
      log("warn", "send resolved without acknowledging some partitions (kafkajs#1303); their messages are queued for resend", {
        messages: unconfirmed.length,
        partitions,
        acknowledged: [...acknowledged].sort(),
      });
    }
    if (this.config.produceLimit > 0 && this.produced >= this.config.produceLimit && !this.limitLogged) {
      this.limitLogged = true;
      log("info", "produce limit acknowledged", { messages: this.produced, elapsedMs: Date.now() - this.startedAt });
    }
    return { records, unconfirmed: unconfirmed.length };
  }

  private nextBatch(): Message[] | undefined {
    const { produceRate: rate, produceLimit: limit, batchSize } = this.config;
    if (rate === 0) return undefined;
    let count = batchSize;
    if (rate !== "max") {
      const now = Date.now();
      let due = Math.floor((rate * (now - this.rateBase.t)) / 1000) - this.rateBase.generated;
      if (due > rate * MAX_CATCH_UP_SECONDS) {
        this.rateBase = { t: now, generated: 0 };
        due = 0;
      }
      count = Math.min(count, due);
    }
    if (limit > 0) count = Math.min(count, limit - this.generated);
    if (count <= 0) return undefined;
    const batch: Message[] = [];
    for (let i = 0; i < count; i++) {
      batch.push(this.message(`${this.id}-${(this.generated + i) % this.config.keys}`));
    }
    this.generated += count;
    this.rateBase.generated += count;
    return batch;
  }

  private msUntilNextDue(): number {
    const rate = this.config.produceRate;
    if (rate === 0 || rate === "max" || (this.config.produceLimit > 0 && this.generated >= this.config.produceLimit)) return 1000;
    return Math.max(1, this.config.lingerMs, Math.ceil(1000 / rate));
  }

  private message(key: string, text?: string): Message {
    const seq = this.seqs.get(key) ?? 0;
    this.seqs.set(key, seq + 1);
    const sentAt = nowMs();
    let value: string;
    if (text !== undefined) {
      value = text;
    } else {
      const base = JSON.stringify({ producer: this.id, key, seq, sentAt, pad: "" });
      value = base.slice(0, -2) + this.padding.slice(0, Math.max(0, this.config.messageBytes - base.length)) + '"}';
    }
    return {
      key,
      value,
      headers: { [HEADER.producer]: this.id, [HEADER.seq]: String(seq), [HEADER.sentAt]: sentAt.toFixed(3) },
    };
  }

  private waitForKick(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.kick = done;
    });
  }
}
