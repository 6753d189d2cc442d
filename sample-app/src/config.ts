import { existsSync } from "node:fs";
import { hostname } from "node:os";
import { z } from "zod";
import { PRODUCE_RATE_MAX } from "./contract";

/** Which halves of the app this process runs. */
export type AppRole = "producer" | "consumer" | "both";

/** Validated process configuration; the only input besides HTTP requests. */
export interface AppConfig {
  /** Bootstrap servers, each `host:port`. */
  readonly brokers: readonly string[];
  /** Topic produced to and consumed from. */
  readonly topic: string;
  /** Consumer group id. */
  readonly groupId: string;
  /** Roles this process plays. */
  readonly role: AppRole;
  /** Messages per second; `"max"` = as fast as sends complete; 0 = only `POST /messages`. */
  readonly produceRate: number | "max";
  /** Stop generating after this many messages (0 = never); `POST /messages` still works. */
  readonly produceLimit: number;
  /** Messages after which the consumer logs "consume limit reached" with the time since it joined (0 = never; for benchmarks). */
  readonly consumeLimit: number;
  /** Size of each generated message value in bytes. */
  readonly messageBytes: number;
  /** Generated messages per `send` call. */
  readonly batchSize: number;
  /** `send` calls allowed in flight at once. */
  readonly maxInFlight: number;
  /** At a fixed rate, wait at least this long between batches so one `send` carries several messages. */
  readonly lingerMs: number;
  /** Distinct keys per producer; each key is one sequence stream. */
  readonly keys: number;
  /**
   * Most bytes of messages the producer holds that Kafka has not acknowledged (queued for resend plus
   * in flight). At the cap the generator pauses and `POST /messages` answers 503.
   */
  readonly resendMaxBytes: number;
  /** Per-key sequence counters (producer) and per-stream trackers (consumer) idle this long are dropped. */
  readonly streamIdleMs: number;
  /** Most per-key sequence counters and per-stream trackers kept; the least recently used go first. */
  readonly maxStreams: number;
  /** Compression codec for produced batches. */
  readonly compression: "none" | "gzip";
  /** SCRAM-SHA-512 credentials, when the listener requires them. */
  readonly sasl?: { readonly username: string; readonly password: string };
  /** PEM CA file; set = TLS on. */
  readonly tlsCaFile?: string;
  /** HTTP listen port (0 = any free port, logged at start-up). */
  readonly httpPort: number;
  /** Kafka client id, also shown on the dashboard. */
  readonly clientId: string;
  /** A new group starts at the earliest offset (true) or the latest (false). */
  readonly fromBeginning: boolean;
  /** Consumer session timeout; lower = faster takeover after a replica dies. */
  readonly sessionTimeoutMs: number;
  /** Time allowed for a graceful stop before the process exits non-zero. */
  readonly shutdownTimeoutMs: number;
  /** Minimum log level. */
  readonly logLevel: "debug" | "info" | "warn" | "error";
}

const int = (name: string, min: number, max: number, def: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === "") return def;
      const n = Number(v);
      if (!/^\d+$/.test(v) || n < min || n > max) {
        ctx.addIssue({ code: "custom", message: `${name} must be an integer from ${min} to ${max}; got "${v}"` });
        return z.NEVER;
      }
      return n;
    });

const oneOf = <T extends string>(name: string, values: readonly [T, ...T[]], def: T) =>
  z
    .string()
    .optional()
    .transform((v, ctx): T => {
      if (v === undefined || v === "") return def;
      if (!(values as readonly string[]).includes(v)) {
        ctx.addIssue({ code: "custom", message: `${name} must be one of ${values.join(" | ")}; got "${v}"` });
        return z.NEVER;
      }
      return v as T;
    });

const hostPort = /^[A-Za-z0-9.\-[\]:]+:\d{1,5}$/;

const schema = z
  .object({
    KAFKA_BROKERS: z.string({ error: "KAFKA_BROKERS is required: comma-separated host:port list, e.g. kafka:9092" }).transform((v, ctx) => {
      const list = v
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s !== "");
      const bad = list.filter((b) => !hostPort.test(b));
      if (list.length === 0 || bad.length > 0) {
        ctx.addIssue({
          code: "custom",
          message: `KAFKA_BROKERS must be a comma-separated host:port list, e.g. kafka:9092; got "${v}"`,
        });
        return z.NEVER;
      }
      return list;
    }),
    KAFKA_TOPIC: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,249}$/, "KAFKA_TOPIC must be 1-249 of [A-Za-z0-9._-]")
      .default("demo-events"),
    KAFKA_GROUP_ID: z.string().min(1, "KAFKA_GROUP_ID must not be empty").default("sample-app"),
    APP_ROLE: oneOf("APP_ROLE", ["producer", "consumer", "both"], "both"),
    PRODUCE_RATE: z
      .string()
      .optional()
      .transform((v, ctx): number | "max" => {
        if (v === undefined || v === "") return 100;
        if (v === "max") return "max";
        if (!/^\d+$/.test(v) || Number(v) > PRODUCE_RATE_MAX) {
          ctx.addIssue({
            code: "custom",
            message: `PRODUCE_RATE must be an integer 0-${PRODUCE_RATE_MAX} (messages/s), "max", or 0 for POST /messages only; got "${v}"`,
          });
          return z.NEVER;
        }
        return Number(v);
      }),
    PRODUCE_LIMIT: int("PRODUCE_LIMIT", 0, Number.MAX_SAFE_INTEGER, 0),
    CONSUME_LIMIT: int("CONSUME_LIMIT", 0, Number.MAX_SAFE_INTEGER, 0),
    MESSAGE_BYTES: int("MESSAGE_BYTES", 64, 1_000_000, 256),
    PRODUCE_BATCH_SIZE: int("PRODUCE_BATCH_SIZE", 1, 100_000, 1000),
    // One send at a time keeps each stream stored in sequence order: with several in flight KafkaJS let
    // later sends overtake earlier ones (up to 4 places seen), and a partition handed over between two
    // such messages showed up as a gap on both replicas though nothing was lost.
    PRODUCE_MAX_IN_FLIGHT: int("PRODUCE_MAX_IN_FLIGHT", 1, 64, 1),
    PRODUCE_LINGER_MS: int("PRODUCE_LINGER_MS", 0, 1000, 5),
    PRODUCE_KEYS: int("PRODUCE_KEYS", 1, 10_000, 32),
    PRODUCE_RESEND_MAX_BYTES: int("PRODUCE_RESEND_MAX_BYTES", 1 << 20, 4 * 1024 ** 3, 32 << 20),
    STREAM_IDLE_MS: int("STREAM_IDLE_MS", 1000, 7 * 24 * 3600_000, 3600_000),
    MAX_STREAMS: int("MAX_STREAMS", 100, 10_000_000, 100_000),
    PRODUCE_COMPRESSION: oneOf("PRODUCE_COMPRESSION", ["none", "gzip"], "none"),
    KAFKA_SASL_USERNAME: z.string().optional(),
    KAFKA_SASL_PASSWORD: z.string().optional(),
    KAFKA_TLS_CA_FILE: z
      .string()
      .optional()
      .refine((f) => f === undefined || f === "" || existsSync(f), {
        message: "KAFKA_TLS_CA_FILE must name a readable PEM file",
      }),
    HTTP_PORT: int("HTTP_PORT", 0, 65535, 8080),
    KAFKA_CLIENT_ID: z.string().default(`sample-app-${hostname()}`),
    CONSUMER_FROM_BEGINNING: oneOf("CONSUMER_FROM_BEGINNING", ["true", "false"], "true"),
    CONSUMER_SESSION_TIMEOUT_MS: int("CONSUMER_SESSION_TIMEOUT_MS", 6000, 300_000, 10_000),
    SHUTDOWN_TIMEOUT_MS: int("SHUTDOWN_TIMEOUT_MS", 1000, 600_000, 20_000),
    LOG_LEVEL: oneOf("LOG_LEVEL", ["debug", "info", "warn", "error"], "info"),
  })
  .superRefine((e, ctx) => {
    if (e.PRODUCE_KEYS > e.MAX_STREAMS) {
      ctx.addIssue({
        code: "custom",
        path: ["MAX_STREAMS"],
        message: `MAX_STREAMS (${e.MAX_STREAMS}) must be at least PRODUCE_KEYS (${e.PRODUCE_KEYS}): the generator's own keys would evict each other`,
      });
    }
    if (Boolean(e.KAFKA_SASL_USERNAME) !== Boolean(e.KAFKA_SASL_PASSWORD)) {
      ctx.addIssue({
        code: "custom",
        path: ["KAFKA_SASL_USERNAME"],
        message: "KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD must be set together (both or neither)",
      });
    }
  });

/** Every environment variable the app reads; the program must set no other (test/program checks). */
export const knownVariables: readonly string[] = Object.keys(schema.shape);

/** Thrown when the environment is invalid; the message names every bad variable. */
export class ConfigError extends Error {}

/** Parses and validates the environment; throws {@link ConfigError} listing each problem. */
export function loadConfig(env: NodeJS.ProcessEnv): AppConfig {
  const r = schema.safeParse(env);
  if (!r.success) {
    const lines = r.error.issues.map((i) => {
      const variable = String(i.path[0] ?? "");
      return i.message.includes(variable) ? `  - ${i.message}` : `  - ${variable}: ${i.message}`;
    });
    throw new ConfigError(`invalid configuration:\n${lines.join("\n")}`);
  }
  const e = r.data;
  return {
    brokers: e.KAFKA_BROKERS,
    topic: e.KAFKA_TOPIC,
    groupId: e.KAFKA_GROUP_ID,
    role: e.APP_ROLE,
    produceRate: e.PRODUCE_RATE,
    produceLimit: e.PRODUCE_LIMIT,
    consumeLimit: e.CONSUME_LIMIT,
    messageBytes: e.MESSAGE_BYTES,
    batchSize: e.PRODUCE_BATCH_SIZE,
    maxInFlight: e.PRODUCE_MAX_IN_FLIGHT,
    lingerMs: e.PRODUCE_LINGER_MS,
    keys: e.PRODUCE_KEYS,
    resendMaxBytes: e.PRODUCE_RESEND_MAX_BYTES,
    streamIdleMs: e.STREAM_IDLE_MS,
    maxStreams: e.MAX_STREAMS,
    compression: e.PRODUCE_COMPRESSION,
    sasl: e.KAFKA_SASL_USERNAME && e.KAFKA_SASL_PASSWORD ? { username: e.KAFKA_SASL_USERNAME, password: e.KAFKA_SASL_PASSWORD } : undefined,
    tlsCaFile: e.KAFKA_TLS_CA_FILE || undefined,
    httpPort: e.HTTP_PORT,
    clientId: e.KAFKA_CLIENT_ID,
    fromBeginning: e.CONSUMER_FROM_BEGINNING === "true",
    sessionTimeoutMs: e.CONSUMER_SESSION_TIMEOUT_MS,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    logLevel: e.LOG_LEVEL,
  };
}

/** Whether this process runs a producer. */
export const runsProducer = (c: AppConfig): boolean => c.role !== "consumer";
/** Whether this process runs a consumer. */
export const runsConsumer = (c: AppConfig): boolean => c.role !== "producer";
