import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { App } from "./app";
import { ConfigError, loadConfig, type AppConfig } from "./config";
import { ENV } from "./contract";
import { createHttpServer, createMetricsServer } from "./http";
import { log, setLogLevel } from "./log";

function configOrExit(): AppConfig {
  try {
    return loadConfig(process.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`sample-app: ${err.message}\n`);
    process.exit(2);
  }
}

const config = configOrExit();
setLogLevel(config.logLevel);
const app = new App(config);
const server = createHttpServer(app, join(__dirname, "..", "public"), config);
const metricsServer = createMetricsServer(app, config);

// A KafkaJS promise rejected with nobody listening must not kill a process that would recover.
process.on("unhandledRejection", (reason) => log("error", "unhandled rejection", { reason: String(reason) }));

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) {
    log("warn", "second signal; exiting now", { signal });
    process.exit(1);
  }
  stopping = true;
  log("info", "shutting down", { signal });
  const deadline = setTimeout(() => {
    log("error", "graceful shutdown timed out", { timeoutMs: config.shutdownTimeoutMs });
    process.exit(1);
  }, config.shutdownTimeoutMs);
  server.close();
  metricsServer.close();
  await app.stop();
  clearTimeout(deadline);
  log("info", "stopped cleanly", app.summary());
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));

// The app starts once both ports listen, so a test or probe that sees "http listening" finds the metrics too.
const listening = (s: typeof server, port: number) =>
  new Promise<number>((resolve, reject) => {
    s.once("error", reject);
    s.listen(port, () => resolve((s.address() as AddressInfo).port));
  });
void Promise.all([listening(metricsServer, config.metricsPort), listening(server, config.httpPort)]).then(
  ([metricsPort, port]) => {
    log("info", "metrics listening", { port: metricsPort });
    if (!config.postToken) log("warn", `POST /messages is off: ${ENV.postToken} is unset`);
    log("info", "http listening", { port, role: config.role, topic: config.topic, brokers: config.brokers });
    app.start();
  },
  (err: Error) => {
    process.stderr.write(`sample-app: cannot listen: ${err.message}\n`);
    process.exit(2);
  },
);
