import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { ENV } from "./contract";

/** The process's Prometheus registry and the app's own series. */
export class Metrics {
  readonly registry = new Registry();
  /** Messages acknowledged by Kafka (acks=all). */
  readonly produced = new Counter({
    name: "sample_app_messages_produced_total",
    help: "Messages acknowledged by Kafka (acks=all)",
    registers: [this.registry],
  });
  /** `send` calls rejected after the client's retries; their messages are sent again. */
  readonly sendFailures = new Counter({
    name: "sample_app_produce_send_failures_total",
    help: "send() calls rejected after client retries; the app resends their messages",
    registers: [this.registry],
  });
  /** Messages of resolved `send` calls whose partition had no acknowledgement (kafkajs#1303); sent again. */
  readonly unconfirmed = new Counter({
    name: "sample_app_produce_unconfirmed_total",
    help: "Messages of resolved send() calls whose partition Kafka did not acknowledge; the app resends them",
    registers: [this.registry],
  });
  /** Bytes of messages the producer holds unacknowledged (resend queue + in flight); capped by PRODUCE_RESEND_MAX_BYTES. */
  readonly pendingBytes = new Gauge({
    name: "sample_app_produce_pending_bytes",
    help: "Bytes of messages the producer holds that Kafka has not acknowledged (resend queue and in flight)",
    registers: [this.registry],
  });
  /** `POST /messages` requests answered 503. */
  readonly refusedRequests = new Counter({
    name: "sample_app_http_messages_refused_total",
    help: `POST /messages requests answered 503: not acknowledged by Kafka, or no room under ${ENV.resendMaxBytes}`,
    registers: [this.registry],
  });
  /** Per-key sequence counters and per-stream trackers dropped (idle too long, or the least recently used over MAX_STREAMS). */
  readonly streamsEvicted = new Counter({
    name: "sample_app_streams_evicted_total",
    help: `Per-key sequence counters (map=producer_keys) and per-stream trackers (map=consumer_streams) dropped; reason=expire (idle) or evict (over ${ENV.maxStreams})`,
    labelNames: ["map", "reason"],
    registers: [this.registry],
  });
  /** Messages whose metadata line names a producer but no valid sequence number; not tracked. */
  readonly invalidSequence = new Counter({
    name: "sample_app_invalid_sequence_total",
    help: "Consumed messages whose metadata line names a producer but whose seq is not a non-negative safe integer; not tracked",
    registers: [this.registry],
  });
  /** Producers thrown away and made anew after repeated failures. */
  readonly producerRecreated = new Counter({
    name: "sample_app_producer_recreated_total",
    help: "Producers recreated after repeated send failures",
    registers: [this.registry],
  });
  /** Messages processed, by partition (duplicates included). */
  readonly consumed = new Counter({
    name: "sample_app_messages_consumed_total",
    help: "Messages processed by this consumer, duplicates included",
    labelNames: ["partition"],
    registers: [this.registry],
  });
  /** Deliveries of a sequence number already processed (at-least-once redelivery). */
  readonly duplicates = new Counter({
    name: "sample_app_duplicates_total",
    help: "Deliveries of a sequence number this consumer already processed",
    registers: [this.registry],
  });
  /** Sequence numbers currently missing in streams this consumer reads. */
  readonly gaps = new Gauge({
    name: "sample_app_sequence_gaps",
    help: "Sequence numbers currently missing in the streams this consumer owns",
    registers: [this.registry],
  });
  /** Log-end offset minus committed offset, per partition. */
  readonly lag = new Gauge({
    name: "sample_app_consumer_lag",
    help: "Log-end offset minus the group's committed offset",
    labelNames: ["partition"],
    registers: [this.registry],
  });
  /** Members of the consumer group, i.e. its consumer replicas, as the admin client last saw them. */
  readonly groupMembers = new Gauge({
    name: "sample_app_consumer_group_members",
    help: "Members of the consumer group (its consumer replicas)",
    registers: [this.registry],
  });
  /** Produce-to-process latency of each message. */
  readonly latency = new Histogram({
    name: "sample_app_e2e_latency_seconds",
    help: "Time from message creation in the producer to processing in the consumer",
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  /** Consumer crashes reported by KafkaJS. */
  readonly consumerCrashes = new Counter({
    name: "sample_app_consumer_crashes_total",
    help: "Consumer crashes reported by KafkaJS (it or the app restarts the consumer)",
    labelNames: ["restarted_by"],
    registers: [this.registry],
  });
  /** 1 when every role of this process is connected. */
  readonly ready = new Gauge({
    name: "sample_app_ready",
    help: "1 when every role of this process is connected to Kafka",
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }
}
