import { existsSync } from "node:fs";
import { hostname } from "node:os";
import { z } from "zod";
import { DEFAULT_TOPIC, ENV, HTTP_PORT, METRICS_PORT, PRODUCE_RATE_MAX } from "./contract";

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
  /** Port of the listener that serves only GET /metrics (0 = any free port, logged at start-up). */
  readonly metricsPort: number;
  /**
   * The token `POST /messages` must carry as `Authorization: Bearer <token>`; unset = POST /messages is
   * refused (403), so a pod that lost its Secret fails closed instead of writing for anyone.
   */
  readonly postToken?: string;
  /** A client that has not sent its request's headers this long after connecting is cut off (408). */
  readonly httpHeadersTimeoutMs: number;
  /** A client that has not sent its whole request (headers and body) this long after connecting is cut off (408). */
  readonly httpRequestTimeoutMs: number;
  /** Most `POST /messages` bodies read and parsed at once; more are answered 503 with `Retry-After`. */
  readonly httpMaxBodies: number;
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

// One field per AppConfig setting, each read from the variable ENV names for it (`satisfies` keeps the two
// lists equal); messages name the variable, as that is what the operator sets.
const fields = {
  brokers: z.string({ error: `${ENV.brokers} is required: comma-separated host:port list, e.g. kafka:9092` }).transform((v, ctx) => {
    const list = v
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s !== "");
    const bad = list.filter((b) => !hostPort.test(b));
    if (list.length === 0 || bad.length > 0) {
      ctx.addIssue({
        code: "custom",
        message: `${ENV.brokers} must be a comma-separated host:port list, e.g. kafka:9092; got "${v}"`,
      });
      return z.NEVER;
    }
    return list;
  }),
  topic: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,249}$/, `${ENV.topic} must be 1-249 of [A-Za-z0-9._-]`)
    .default(DEFAULT_TOPIC),
  groupId: z.string().min(1, `${ENV.groupId} must not be empty`).default("sample-app"),
  role: oneOf(ENV.role, ["producer", "consumer", "both"], "both"),
  produceRate: z
    .string()
    .optional()
    .transform((v, ctx): number | "max" => {
      if (v === undefined || v === "") return 100;
      if (v === "max") return "max";
      if (!/^\d+$/.test(v) || Number(v) > PRODUCE_RATE_MAX) {
        ctx.addIssue({
          code: "custom",
          message: `${ENV.produceRate} must be an integer 0-${PRODUCE_RATE_MAX} (messages/s), "max", or 0 for POST /messages only; got "${v}"`,
        });
        return z.NEVER;
      }
      return Number(v);
    }),
  produceLimit: int(ENV.produceLimit, 0, Number.MAX_SAFE_INTEGER, 0),
  consumeLimit: int(ENV.consumeLimit, 0, Number.MAX_SAFE_INTEGER, 0),
  messageBytes: int(ENV.messageBytes, 64, 1_000_000, 256),
  batchSize: int(ENV.batchSize, 1, 100_000, 1000),
  // One send at a time keeps each stream stored in sequence order: with several in flight KafkaJS let
  // later sends overtake earlier ones (up to 4 places seen), and a partition handed over between two
  // such messages showed up as a gap on both replicas though nothing was lost.
  maxInFlight: int(ENV.maxInFlight, 1, 64, 1),
  lingerMs: int(ENV.lingerMs, 0, 1000, 5),
  keys: int(ENV.keys, 1, 10_000, 32),
  resendMaxBytes: int(ENV.resendMaxBytes, 1 << 20, 4 * 1024 ** 3, 32 << 20),
  streamIdleMs: int(ENV.streamIdleMs, 1000, 7 * 24 * 3600_000, 3600_000),
  maxStreams: int(ENV.maxStreams, 100, 10_000_000, 100_000),
  compression: oneOf(ENV.compression, ["none", "gzip"], "none"),
  saslUsername: z.string().optional(),
  saslPassword: z.string().optional(),
  tlsCaFile: z
    .string()
    .optional()
    .refine((f) => f === undefined || f === "" || existsSync(f), {
      message: `${ENV.tlsCaFile} must name a readable PEM file`,
    }),
  httpPort: int(ENV.httpPort, 0, 65535, HTTP_PORT),
  metricsPort: int(ENV.metricsPort, 0, 65535, METRICS_PORT),
  // At least 32 characters: the program gives 64 hex digits (256 bits); a short one could be guessed by a
  // peer that may reach the port. The message never shows the value.
  postToken: z
    .string()
    .optional()
    .refine((t) => t === undefined || t === "" || /^[\x21-\x7e]{32,512}$/.test(t), {
      message: `${ENV.postToken} must be 32-512 printable ASCII characters without spaces (e.g. openssl rand -hex 32)`,
    }),
  httpHeadersTimeoutMs: int(ENV.httpHeadersTimeoutMs, 1000, 300_000, 10_000),
  httpRequestTimeoutMs: int(ENV.httpRequestTimeoutMs, 1000, 300_000, 30_000),
  // 48 bodies of 1 MiB at once took a process that also consumes from ~70 to 356-387 MiB of RSS, past the
  // pod's 256 MiB limit (the body, its string, the parsed messages, the produce request, then the fetch of
  // it); with at most 4 read at once the peak was 150-164 MiB (test/sample-app/abuse.test.ts).
  httpMaxBodies: int(ENV.httpMaxBodies, 1, 1000, 4),
  clientId: z.string().default(`sample-app-${hostname()}`),
  fromBeginning: oneOf(ENV.fromBeginning, ["true", "false"], "true"),
  sessionTimeoutMs: int(ENV.sessionTimeoutMs, 6000, 300_000, 10_000),
  shutdownTimeoutMs: int(ENV.shutdownTimeoutMs, 1000, 600_000, 20_000),
  logLevel: oneOf(ENV.logLevel, ["debug", "info", "warn", "error"], "info"),
} satisfies Record<keyof typeof ENV, unknown>;

const schema = z.object(fields).superRefine((e, ctx) => {
  if (e.keys > e.maxStreams) {
    ctx.addIssue({
      code: "custom",
      path: ["maxStreams"],
      message: `${ENV.maxStreams} (${e.maxStreams}) must be at least ${ENV.keys} (${e.keys}): the generator's own keys would evict each other`,
    });
  }
  if (e.httpHeadersTimeoutMs > e.httpRequestTimeoutMs) {
    ctx.addIssue({
      code: "custom",
      path: ["httpHeadersTimeoutMs"],
      message: `${ENV.httpHeadersTimeoutMs} (${e.httpHeadersTimeoutMs}) must not exceed ${ENV.httpRequestTimeoutMs} (${e.httpRequestTimeoutMs}): the headers are part of the request`,
    });
  }
  if (e.metricsPort !== 0 && e.metricsPort === e.httpPort) {
    ctx.addIssue({
      code: "custom",
      path: ["metricsPort"],
      message: `${ENV.metricsPort} (${e.metricsPort}) must differ from ${ENV.httpPort}: the metrics have a port of their own, which only the monitoring namespace may reach`,
    });
  }
  if (Boolean(e.saslUsername) !== Boolean(e.saslPassword)) {
    ctx.addIssue({
      code: "custom",
      path: ["saslUsername"],
      message: `${ENV.saslUsername} and ${ENV.saslPassword} must be set together (both or neither)`,
    });
  }
});

/** Every environment variable the app reads; the program must set no other (test/program checks). */
export const knownVariables: readonly string[] = Object.values(ENV);

/** Thrown when the environment is invalid; the message names every bad variable. */
export class ConfigError extends Error {}

/** Parses and validates the environment; throws {@link ConfigError} listing each problem. */
export function loadConfig(env: NodeJS.ProcessEnv): AppConfig {
  const r = schema.safeParse(Object.fromEntries(Object.entries(ENV).map(([field, variable]) => [field, env[variable]])));
  if (!r.success) {
    const lines = r.error.issues.map((i) => {
      const variable = ENV[i.path[0] as keyof typeof ENV] ?? "";
      return i.message.includes(variable) ? `  - ${i.message}` : `  - ${variable}: ${i.message}`;
    });
    throw new ConfigError(`invalid configuration:\n${lines.join("\n")}`);
  }
  const { saslUsername, saslPassword, tlsCaFile, fromBeginning, postToken, ...e } = r.data;
  return {
    ...e,
    postToken: postToken || undefined,
    sasl: saslUsername && saslPassword ? { username: saslUsername, password: saslPassword } : undefined,
    tlsCaFile: tlsCaFile || undefined,
    fromBeginning: fromBeginning === "true",
  };
}

/** Whether this process runs a producer. */
export const runsProducer = (c: AppConfig): boolean => c.role !== "consumer";
/** Whether this process runs a consumer. */
export const runsConsumer = (c: AppConfig): boolean => c.role !== "producer";
