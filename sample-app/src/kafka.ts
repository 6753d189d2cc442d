import { readFileSync } from "node:fs";
import { Kafka, logLevel } from "kafkajs";
import type { AppConfig } from "./config";
import { kafkaLogCreator } from "./log";

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
    retry: { initialRetryTime: 300, maxRetryTime: 5000, retries: 8 },
  });
}

/** Waits `ms` milliseconds. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
