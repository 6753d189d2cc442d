import { readFileSync } from "node:fs";
import { Kafka, logLevel } from "kafkajs";
import type { AppConfig } from "./config";
import { CLIENT_RETRY, ENV } from "./contract";
import { kafkaLogCreator, log } from "./log";

/** One KafkaJS client for the process; producer, consumer and admin are made from it. */
export function createKafka(config: AppConfig): Kafka {
  return new Kafka({
    clientId: config.clientId,
    brokers: [...config.brokers],
    ssl: config.tlsCaFile ? { ca: [readFileSync(config.tlsCaFile, "utf8")] } : undefined,
    sasl: config.sasl ? { mechanism: "scram-sha-512", ...config.sasl } : undefined,
    connectionTimeout: 3000,
    requestTimeout: 30_000,
    logLevel: config.logLevel === "debug" ? logLevel.DEBUG : logLevel.WARN,
    logCreator: kafkaLogCreator,
    // Longer than the default (~5 s in total) so an admin or metadata request rides out a broker restart.
    retry: CLIENT_RETRY,
  });
}

/** The messages of an error and of the errors it wraps (KafkaJS nests them as `cause`/`originalError`). */
function messages(err: unknown, depth = 0): string {
  if (depth > 5 || err === undefined || err === null) return "";
  const e = err as { name?: unknown; message?: unknown; code?: unknown; cause?: unknown; originalError?: unknown };
  return [e.name, e.message, e.code, messages(e.cause, depth + 1), messages(e.originalError, depth + 1)].filter(Boolean).join(" | ");
}

/**
 * Names the setting to fix when Kafka refuses the connection for a reason no retry can cure (the
 * SCRAM credentials, the CA); undefined for the rest, e.g. a broker that is restarting.
 */
export function configHint(err: unknown, config: AppConfig): string | undefined {
  const text = messages(err);
  if (config.sasl && /SASL|authentication failed|invalid credentials/i.test(text)) {
    return `Kafka refused the SCRAM-SHA-512 login of user "${config.sasl.username}": check ${ENV.saslUsername} and ${ENV.saslPassword}`;
  }
  if (config.tlsCaFile && /certificate|self[- ]signed|unable to verify|CERT_|SSL routines|handshake/i.test(text)) {
    return `the broker's TLS certificate does not verify against ${ENV.tlsCaFile} (${config.tlsCaFile}); is it the cluster CA?`;
  }
  return undefined;
}

/**
 * Logs a failed attempt to reach Kafka: an error with a hint naming the setting when retrying cannot
 * help (the app keeps retrying with backoff all the same, so fixing the secret needs no restart),
 * otherwise a warning.
 */
export function logKafkaFailure(config: AppConfig, msg: string, err: unknown, fields: Record<string, unknown> = {}): void {
  const hint = configHint(err, config);
  if (hint) log("error", msg, { ...fields, error: String(err), hint });
  else log("warn", msg, { ...fields, error: String(err) });
}

/** Waits `ms` milliseconds. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
