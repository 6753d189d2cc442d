import { randomBytes } from "node:crypto";
import { LRUCache } from "lru-cache";
import { CompressionTypes, Partitioners, type Kafka, type Message, type Producer, type ProducerConfig, type RecordMetadata } from "kafkajs";
import type { AppConfig } from "./config";
import { CLIENT_RETRY, ENV } from "./contract";
import { logKafkaFailure, sleep } from "./kafka";
import { log } from "./log";
import type { Metrics } from "./metrics";
import { generatedValue, textValue, type RecordMeta } from "./record";

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
  /** Bytes of messages held here that Kafka has not acknowledged yet (queued for resend or in flight). */
  readonly pendingBytes: number;
  /** `PRODUCE_RESEND_MAX_BYTES`: the most {@link pendingBytes} may reach. */
  readonly pendingMaxBytes: number;
  /** `POST /messages` requests answered 503 (Kafka did not acknowledge them, or no room to hold them). */
  readonly refusedRequests: number;
  /** Per-key sequence counters held. */
  readonly keys: number;
}

/**
 * Result of `POST /messages`. "sent" means Kafka acknowledged every message (acks=all); "refused" means
 * it did not acknowledge all of them and the app keeps none of them: the caller must retry (some may
 * be stored already, so a retry can duplicate them).
 */
export type OwnSendResult =
  | { readonly status: "sent"; readonly records: RecordMetadata[] }
  | { readonly status: "refused"; readonly error: string; readonly acknowledged: number; readonly retryAfterSeconds: number };

/** Consecutive rejected sends after which the KafkaJS producer is thrown away and made anew. */
const RECREATE_AFTER_FAILURES = 3;
/** How far (in seconds of messages) the rate limiter may catch up after an outage. */
const MAX_CATCH_UP_SECONDS = 5;
/** Stands for "sent to more than one partition within one send": no response can vouch for it. */
const SEVERAL_PARTITIONS = -1;
/** Sends of the still unacknowledged part of one `POST /messages` before it is answered 503. */
const OWN_SEND_ATTEMPTS = 3;
/** Retry-After of a 503 when the producer is disconnected or holds as much as it may. */
const RETRY_AFTER_SECONDS = 5;
/** Bound on a message's key and metadata line (ids, a sequence number, a timestamp). */
const GENERATED_OVERHEAD_BYTES = 512;

/** The KafkaJS producer settings of the app; the benchmark's bare-KafkaJS reference uses the same. */
export const PRODUCER_OPTIONS = {
  idempotent: false,
  allowAutoTopicCreation: false,
  // About 25 s of retries: longer than a broker restart under load (10-14 s measured).
  retry: CLIENT_RETRY,
} as const satisfies ProducerConfig;

/** The `send` settings of the app (acks=all; compression from PRODUCE_COMPRESSION). */
export const sendOptions = (config: AppConfig) =>
  ({ acks: -1, compression: config.compression === "gzip" ? CompressionTypes.GZIP : CompressionTypes.None }) as const;

/** Bytes a message occupies as sent: key and value (what the resend cap counts). */
export const messageBytes = (m: Message): number =>
  (m.key ? Buffer.byteLength(m.key as string) : 0) + (m.value ? Buffer.byteLength(m.value as string) : 0);

const bytesOf = (batch: readonly Message[]): number => batch.reduce((n, m) => n + messageBytes(m), 0);

/** Next sequence number of one key, and the eviction count when the key was (re)created. */
interface KeySequence {
  next: number;
  readonly epoch: number;
}

/** What Kafka acknowledged of one batch. */
interface BatchResult {
  readonly records: RecordMetadata[];
  /** Messages whose partition no record covers. */
  readonly unconfirmed: Message[];
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
 *
 * Memory is bounded: the generator makes only as many messages as fit under `PRODUCE_RESEND_MAX_BYTES`
 * of unacknowledged bytes (so while Kafka is away it waits instead of queueing without end), HTTP
 * messages are never queued (the caller gets 503 and retries), and per-key sequence counters are
 * dropped when idle or least recently used.
 */
export class SampleProducer {
  readonly id = `${process.env.HOSTNAME ?? "local"}-${randomBytes(3).toString("hex")}`;
  private producer: Producer | undefined;
  private readonly seqs: LRUCache<string, KeySequence>;
  /** Keys dropped from {@link seqs} so far; a key made again gets a fresh stream (see {@link message}). */
  private keyEvictions = 0;
  private readonly resend: Message[][] = [];
  private pendingBytes = 0;
  private refusedRequests = 0;
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
  private readonly padding: Buffer;
  /** The generator's keys, `<id>-<n>`, as strings (the sequence map's keys) and as sent: KafkaJS would encode a string per message. */
  private readonly keyNames: string[];
  private readonly keyBytes: Buffer[];

  constructor(
    private readonly kafka: Kafka,
    private readonly config: AppConfig,
    private readonly metrics: Metrics,
  ) {
    this.padding = Buffer.alloc(config.messageBytes, "x");
    this.keyNames = Array.from({ length: config.keys }, (_, n) => `${this.id}-${n}`);
    this.keyBytes = this.keyNames.map((k) => Buffer.from(k));
    this.seqs = new LRUCache<string, KeySequence>({
      max: config.maxStreams,
      ttl: config.streamIdleMs,
      updateAgeOnGet: true,
      dispose: (_value, _key, reason) => {
        if (reason !== "evict" && reason !== "expire") return;
        this.keyEvictions++;
        this.metrics.streamsEvicted.inc({ map: "producer_keys", reason });
      },
    });
  }

  /** Drops idle per-key sequence counters (LRUCache removes expired entries only when asked). */
  prune(): void {
    this.seqs.purgeStale();
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
      pendingBytes: this.pendingBytes,
      pendingMaxBytes: this.config.resendMaxBytes,
      refusedRequests: this.refusedRequests,
      keys: this.seqs.size,
    };
  }

  /**
   * Sends user-supplied messages and answers "sent" only when Kafka acknowledged every one of them.
   * They are never queued: holding them would let a caller believe in a delivery the process may not
   * survive to make. Messages of partitions a resolved `send` did not acknowledge are sent again
   * within the request (kafkajs#1303 is transient), a few times.
   */
  async sendOwn(items: ReadonlyArray<{ readonly key?: string; readonly value: string }>): Promise<OwnSendResult> {
    const refuse = (error: string, acknowledged = 0): OwnSendResult => {
      this.refusedRequests++;
      this.metrics.refusedRequests.inc();
      return { status: "refused", error, acknowledged, retryAfterSeconds: RETRY_AFTER_SECONDS };
    };
    const producer = this.producer;
    if (!producer) return refuse("producer not connected to Kafka");
    const estimate = items.reduce(
      (n, i) => n + Buffer.byteLength(i.value) + Buffer.byteLength(i.key ?? this.id) + GENERATED_OVERHEAD_BYTES,
      0,
    );
    if (this.pendingBytes + estimate > this.config.resendMaxBytes) {
      return refuse(
        `the producer holds ${this.pendingBytes} unacknowledged bytes; with these ${estimate} it would pass ${ENV.resendMaxBytes}=${this.config.resendMaxBytes}`,
      );
    }
    const batch = items.map((i) => this.postedMessage(i.key ?? `${this.id}-http`, i.value));
    const bytes = bytesOf(batch);
    this.addPending(bytes);
    try {
      const records: RecordMetadata[] = [];
      let left = batch;
      for (let attempt = 1; attempt <= OWN_SEND_ATTEMPTS && left.length > 0; attempt++) {
        const result = await this.trySend(producer, left);
        records.push(...result.records);
        left = result.unconfirmed;
      }
      if (left.length > 0)
        return refuse(
          `Kafka acknowledged ${batch.length - left.length} of ${batch.length} messages after ${OWN_SEND_ATTEMPTS} sends`,
          batch.length - left.length,
        );
      return { status: "sent", records };
    } catch (err) {
      if (this.failures >= RECREATE_AFTER_FAILURES && this.running) void this.recreate();
      return refuse(String((err as Error).message));
    } finally {
      this.addPending(-bytes);
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
        await this.sendQueued(producer, batch).catch(() => undefined);
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
        ...PRODUCER_OPTIONS,
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
      void this.sendQueued(producer, batch)
        .catch(() => undefined)
        .finally(() => {
          this.inFlight--;
          this.kick();
        });
    }
  }

  /**
   * Sends a generated (or previously rejected) batch. Its messages stay counted in the pending bytes
   * until acknowledged: the unacknowledged part, or the whole batch when `send` rejects, goes back to
   * the resend queue. Repeated rejections recreate the producer.
   */
  private async sendQueued(producer: Producer, batch: Message[]): Promise<void> {
    let result: BatchResult;
    try {
      result = await this.trySend(producer, batch);
    } catch (err) {
      this.resend.push(batch);
      log("warn", "send rejected; batch queued for resend", { messages: batch.length, error: String((err as Error).message) });
      if (this.failures >= RECREATE_AFTER_FAILURES && this.running) await this.recreate();
      else await sleep(500);
      throw err;
    }
    const { unconfirmed } = result;
    this.addPending(-(bytesOf(batch) - bytesOf(unconfirmed)));
    if (unconfirmed.length > 0) this.resend.push(unconfirmed);
  }

  /**
   * One `send`; counts as produced only the messages whose partition Kafka acknowledged and returns
   * the others. Keeps nothing: what to do with the rest is the caller's choice.
   */
  private async trySend(producer: Producer, batch: Message[]): Promise<BatchResult> {
    const topic = this.config.topic;
    for (const m of batch) this.partitionOf.delete(m);
    let records: RecordMetadata[];
    try {
      records = await producer.send({
        topic,
        ...sendOptions(this.config),
        messages: batch,
      });
    } catch (err) {
      this.failures++;
      this.sendFailures++;
      this.metrics.sendFailures.inc();
      throw err;
    }
    this.failures = 0;
    const acknowledged = new Set(records.filter((r) => r.topicName === topic && r.errorCode === 0).map((r) => r.partition));
    const unconfirmed = batch.filter((m) => !acknowledged.has(this.partitionOf.get(m) ?? SEVERAL_PARTITIONS));
    const confirmed = batch.length - unconfirmed.length;
    this.produced += confirmed;
    this.metrics.produced.inc(confirmed);
    if (unconfirmed.length > 0) {
      this.unconfirmed += unconfirmed.length;
      this.metrics.unconfirmed.inc(unconfirmed.length);
      const partitions = [...new Set(unconfirmed.map((m) => this.partitionOf.get(m)))].sort();
      log("warn", "send resolved without acknowledging some partitions (kafkajs#1303); their messages are sent again", {
        messages: unconfirmed.length,
        partitions,
        acknowledged: [...acknowledged].sort(),
      });
    }
    if (this.config.produceLimit > 0 && this.produced >= this.config.produceLimit && !this.limitLogged) {
      this.limitLogged = true;
      log("info", "produce limit acknowledged", { messages: this.produced, elapsedMs: Date.now() - this.startedAt });
    }
    return { records, unconfirmed };
  }

  private addPending(bytes: number): void {
    this.pendingBytes += bytes;
    this.metrics.pendingBytes.set(this.pendingBytes);
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
    // Back-pressure: no more than fits under the cap is made; the rate limiter drops what falls due
    // meanwhile (MAX_CATCH_UP_SECONDS), so a long outage is not followed by a burst.
    const room = this.config.resendMaxBytes - this.pendingBytes;
    count = Math.min(count, Math.floor(room / (Math.max(this.config.messageBytes, GENERATED_OVERHEAD_BYTES) + GENERATED_OVERHEAD_BYTES)));
    if (count <= 0) return undefined;
    const batch: Message[] = [];
    for (let i = 0; i < count; i++) batch.push(this.generatedMessage((this.generated + i) % this.config.keys));
    this.generated += count;
    this.rateBase.generated += count;
    this.addPending(bytesOf(batch));
    return batch;
  }

  private msUntilNextDue(): number {
    const rate = this.config.produceRate;
    if (rate === 0 || rate === "max" || (this.config.produceLimit > 0 && this.generated >= this.config.produceLimit)) return 1000;
    return Math.max(1, this.config.lingerMs, Math.ceil(1000 / rate));
  }

  /**
   * The next place in `key`'s stream. A key whose counter was dropped starts again at 0 under a
   * producer id suffixed with the eviction count at its re-creation: always higher than when its
   * earlier life began, so the consumer sees a new stream, not duplicates of the old one.
   */
  private nextMeta(key: string): RecordMeta {
    let entry = this.seqs.get(key);
    if (!entry) {
      entry = { next: 0, epoch: this.keyEvictions };
      this.seqs.set(key, entry);
    }
    return { producer: entry.epoch === 0 ? this.id : `${this.id}~${entry.epoch}`, seq: entry.next++, sentAt: nowMs() };
  }

  /** A generated message of the generator's key number `k`, padded to MESSAGE_BYTES. */
  private generatedMessage(k: number): Message {
    return { key: this.keyBytes[k], value: generatedValue(this.nextMeta(this.keyNames[k]), this.padding, this.config.messageBytes) };
  }

  /** A `POST /messages` message: the caller's text under the caller's key. */
  private postedMessage(key: string, text: string): Message {
    return { key, value: textValue(this.nextMeta(key), text) };
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
