// Child process for broker.test.ts: starts a broker, prints its log file path, then waits to be
// interrupted, so the test can check that an interrupted test run leaves no JVM or temp dir behind.
import { startKafkaBroker } from "../support/kafka";

startKafkaBroker().then(
  (broker) => {
    console.log(JSON.stringify({ logFile: broker.logFile }));
    setInterval(() => undefined, 60_000);
  },
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
