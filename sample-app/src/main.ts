import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { App } from "./app";
import { ConfigError, loadConfig, type AppConfig } from "./config";
import { createHttpServer } from "./http";
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
  await app.stop();
  clearTimeout(deadline);
  log("info", "stopped cleanly", app.summary());
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));

server.listen(config.httpPort, () => {
  const { port } = server.address() as AddressInfo;
  log("info", "http listening", { port, role: config.role, topic: config.topic, brokers: config.brokers });
  app.start();
});
