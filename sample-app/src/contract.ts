// Facts the app shares with the Pulumi program, the policy pack and the e2e scripts. The values are data in
// contract-values.json, so shell scripts can read them (jq) instead of restating them; this module types and
// explains them. It imports nothing else, so the program can load it without the app's dependencies installed.
// (Not contract.json: require("./contract") would load the JSON before this file under ts-node.)
import contract from "./contract-values.json";

/**
 * The environment variable each setting of the app is read from, by its field in AppConfig (config.ts).
 * The program names the variables it sets on the pods through this map, so a renamed variable changes
 * them all at once and a renamed field fails the type check.
 */
export const ENV: Readonly<typeof contract.env> = contract.env;

/** The app's topic when KAFKA_TOPIC is unset; the policy pack assumes the same. */
export const DEFAULT_TOPIC: string = contract.defaultTopic;

/** The port the app listens on unless HTTP_PORT says otherwise; the program publishes it, smoke.sh reads it. */
export const HTTP_PORT: number = contract.httpPort;

/**
 * The port of the second listener, which serves only GET /metrics: a NetworkPolicy can then admit the
 * monitoring namespace to the metrics without admitting it to the dashboard and POST /messages. The
 * program publishes it under the container port name KUBERNETES.ports.metrics, which the PodMonitor names.
 */
export const METRICS_PORT: number = contract.metricsPort;

/** Highest PRODUCE_RATE the app accepts, in messages/s; the program refuses a higher appProduceRate. */
export const PRODUCE_RATE_MAX: number = contract.produceRateMax;

/**
 * KafkaJS retry of the app's client (admin and metadata requests) and of its producer: about 25 s of
 * backoff in all, where KafkaJS's default gives up after ~5 s. The consumer retries for less on purpose
 * (consumer.ts says why).
 */
export const CLIENT_RETRY: Readonly<typeof contract.clientRetry> = contract.clientRetry;

/**
 * How the stack labels the app's pods and names its Deployments and Service: the program sets them, the
 * policy pack recognises the app by them (its `appName` default), smoke.sh, scale.sh and
 * collect-diagnostics.sh select by them; `ports` names the container ports (the probes and the Service use
 * `http`, the PodMonitor and the NetworkPolicy `metrics`). The app reads only `service`: a request naming
 * it as Host came through the Service, inside the cluster (http.ts).
 */
export const KUBERNETES: Readonly<typeof contract.kubernetes> = contract.kubernetes;
