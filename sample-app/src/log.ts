import { logLevel as KafkaLogLevel, type LogEntry } from "kafkajs";

type Level = "debug" | "info" | "warn" | "error";
const rank: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };
let threshold: number = rank.info;

/** Sets the minimum level written. */
export function setLogLevel(level: Level): void {
  threshold = rank[level];
}

/** Writes one JSON line to stdout (stderr for errors) so log collectors can parse it. */
export function log(level: Level, msg: string, fields: Record<string, unknown> = {}): void {
  if (rank[level] < threshold) return;
  const line = JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields });
  (level === "error" ? process.stderr : process.stdout).write(line + "\n");
}

const fromKafka: Record<number, Level> = {
  [KafkaLogLevel.ERROR]: "error",
  [KafkaLogLevel.WARN]: "warn",
  [KafkaLogLevel.INFO]: "info",
  [KafkaLogLevel.DEBUG]: "debug",
};

/** KafkaJS logCreator that routes its entries through {@link log}. */
export const kafkaLogCreator =
  () =>
  ({ namespace, level, log: entry }: LogEntry) => {
    const { message, timestamp: _t, logger: _l, ...rest } = entry;
    // KafkaJS logs a full stack for every retried request while a broker is away; keep the line short.
    delete (rest as Record<string, unknown>).stack;
    log(fromKafka[level] ?? "info", `kafkajs ${namespace}: ${message}`, rest);
  };
