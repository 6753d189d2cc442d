// The one place that reads stack configuration. Everything downstream takes the typed StackConfig,
// so a bad value is reported here, all problems at once, before a single resource is declared.
// Each concern's settings, schema, checks and types live in its own file; this one only runs them.
import * as pulumi from "@pulumi/pulumi";
import { resolveApp, type KedaSettings, type SampleAppSettings } from "./app";
import { resolveCluster, type ClusterSettings } from "./cluster";
import { resolveFlux, type FluxSettings } from "./flux";
import { resolveKafka, type KafkaSettings } from "./kafka";
import { resolveMonitoring, type MonitoringSettings } from "./monitoring";
import { ConfigError, describeProblem } from "./problems";
import { ConfigSource, parseSettings } from "./schema";
import { resolveSecrets, SecretReader } from "./secrets";
import { resolveStrimzi, type StrimziSettings } from "./strimzi";

export type { ConsumerAutoscaling, KedaSettings, SampleAppSettings } from "./app";
export type { ClusterSettings, DoksSettings, KindSettings } from "./cluster";
export type { FluxMode, FluxSettings } from "./flux";
export type { KafkaSettings, ListenerAuth, NodePoolLayout, ResourceProfile, StorageType } from "./kafka";
export type { MonitoringSettings } from "./monitoring";
export { pinned, supportedKafkaVersions } from "./pinned";
export { ConfigError } from "./problems";
export type { ConfigSource } from "./schema";
export type { StrimziSettings } from "./strimzi";
export { kafkaTopicName, type TopicSettings } from "./topics";

/** Every setting the program needs, typed and checked. */
export interface StackConfig {
  /** Pulumi project name. */
  readonly project: string;
  /** Pulumi stack name. */
  readonly stack: string;
  /** Kubernetes cluster. */
  readonly cluster: ClusterSettings;
  /** Flux installation. */
  readonly flux: FluxSettings;
  /** Strimzi operator release. */
  readonly strimzi: StrimziSettings;
  /** Kafka cluster. */
  readonly kafka: KafkaSettings;
  /** KEDA release, present only when the consumers autoscale. */
  readonly keda?: KedaSettings;
  /** Sample app deployment. */
  readonly app: SampleAppSettings;
  /** Prometheus and Grafana with the Kafka and app scrapes, present only when monitoring is on. */
  readonly monitoring?: MonitoringSettings;
}

/**
 * Validates a stack's configuration and returns the typed settings the components take.
 * Throws ConfigError listing every problem; nothing is declared before this returns.
 */
export function parseConfig(source: ConfigSource, secret: SecretReader): StackConfig {
  const schema = parseSettings(source);
  // Resolvers read typed values: a value the schema refuses stops here, with every such problem.
  if (!schema.parsed) throw new ConfigError(schema.problems.map(describeProblem));
  const parsed = schema.parsed;
  const secrets = resolveSecrets(parsed, source, secret);
  const kafka = resolveKafka(parsed);
  const cluster = resolveCluster(parsed, kafka.settings);
  const flux = resolveFlux(parsed, secrets.settings.githubToken);
  const strimzi = resolveStrimzi(parsed);
  const app = resolveApp(parsed, kafka.settings.topics);
  const monitoring = resolveMonitoring(parsed);

  const problems = [schema, cluster, flux, strimzi, kafka, app, monitoring, secrets].flatMap((r) => r.problems);
  if (problems.length) throw new ConfigError(problems.map(describeProblem));
  return {
    project: source.project,
    stack: source.stack,
    cluster: cluster.settings,
    flux: flux.settings,
    strimzi: strimzi.settings,
    kafka: kafka.settings,
    app: app.settings.app,
    keda: app.settings.keda,
    monitoring: monitoring.settings,
  };
}

/** Reads the running stack's configuration through Pulumi and validates it. */
export function loadConfig(): StackConfig {
  const project = pulumi.getProject();
  const values = pulumi.runtime.allConfig();
  // isConfigSecret is exported by the runtime but not typed; it is how `pulumi config set --secret` shows.
  const runtime = pulumi.runtime as unknown as { isConfigSecret(key: string): boolean };
  const secretKeys = Object.keys(values).filter((k) => runtime.isConfigSecret(k));
  return parseConfig({ project, stack: pulumi.getStack(), values, secretKeys }, (fullKey) => {
    const [namespace, key] = fullKey.split(":");
    return new pulumi.Config(namespace).getSecret(key);
  });
}
