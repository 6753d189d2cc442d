// config → cluster → flux → strimzi (and keda, monitoring) → kafka → app → its scaler. Each step depends on
// the one before it and everything on the cluster goes through that cluster's provider.
import * as pulumi from "@pulumi/pulumi";
import * as path from "path";
import { Cluster } from "./components/cluster";
import { loadConfig } from "./components/config";
import { DoksCluster } from "./components/doksCluster";
import { Flux } from "./components/flux";
import { ConsumerScaler } from "./components/consumerScaler";
import { KafkaClient } from "./components/kafkaClient";
import { KafkaCluster } from "./components/kafkaCluster";
import { Keda, kedaOperatorPodLabels } from "./components/keda";
import { KindCluster } from "./components/kindCluster";
import { grafanaDashboardLabel, Monitoring } from "./components/monitoring";
import { programPreflight } from "./components/preflight";
import { newGroupOffset, SampleApp, sampleAppContainer, sampleAppLabels } from "./components/sampleApp";
import { SampleAppImage } from "./components/sampleAppImage";
import { StrimziOperator, strimziOperatorPodLabels } from "./components/strimziOperator";
import { ENV, KUBERNETES } from "./sample-app/src/contract";

// Throws with every problem before anything is declared.
const config = loadConfig();
// A missing or wrong tool (kind, docker, flux) stops `pulumi up` here rather than inside a Command after
// some resources exist; a preview, which runs none of them, only warns.
programPreflight({ stack: config.stack, clusterKind: config.cluster.provider.kind, fluxVersion: config.flux.version });

const spec = config.cluster.provider;
const cluster: Cluster =
  spec.kind === "kind"
    ? new KindCluster("kind", { name: config.cluster.name, ...spec })
    : new DoksCluster("doks", { name: config.cluster.name, kubernetesVersion: config.cluster.kubernetesVersion, ...spec });
const onCluster = { provider: cluster.provider };
// When the cluster is replaced, the provider is too, and the engine deletes each object on the old
// cluster through the old provider first: with the real engine that delete fails ("grpc: the client
// connection is closing", test-converge) before anything is re-created. Objects deleted with their
// cluster are not deleted one by one. A stack transform, because deletedWith is not inherited by the
// components' children.
const deletedWith = cluster.deletedWith;
if (deletedWith) {
  pulumi.runtime.registerResourceTransform(({ type, props, opts }) =>
    type.startsWith("kubernetes:") ? { props, opts: { ...opts, deletedWith } } : undefined,
  );
}

const flux = new Flux("flux", { admin: cluster.admin, settings: config.flux });

const strimzi = new StrimziOperator(
  "strimzi",
  {
    fluxNamespace: flux.namespace,
    settings: config.strimzi,
    grafanaDashboardLabel: config.monitoring ? grafanaDashboardLabel : undefined,
    // Pod Security Admission: the Kafka namespace runs Strimzi's operands under its `restricted` pod security
    // provider and the sample app, both within the restricted standard; the operator's own Deployment comes
    // from the chart, which does not promise that, so its namespace enforces baseline (and warns on restricted).
    podSecurity: "baseline",
    watchedPodSecurity: "restricted",
    dependsOn: [flux.ready],
  },
  onCluster,
);

// Only when the consumers autoscale: KEDA is then the one thing that sets their replica count.
const keda = config.keda
  ? new Keda(
      "keda",
      {
        fluxNamespace: flux.namespace,
        settings: config.keda,
        podSecurity: "baseline",
        dependsOn: [flux.ready],
      },
      onCluster,
    )
  : undefined;

const appGroup = "sample-app";
const kafka = new KafkaCluster(
  "kafka",
  {
    settings: config.kafka,
    operator: strimzi.release,
    // KEDA's operator reads the group's offsets with the app user's credentials (see ConsumerScaler).
    clients: [{ podLabels: sampleAppLabels }, ...(keda ? [{ podLabels: kedaOperatorPodLabels, namespace: keda.namespace }] : [])],
    lagExporter: config.monitoring ? { groups: [appGroup], topics: [config.app.topic] } : undefined,
  },
  onCluster,
);

// The app's own user and ACLs. It was the cluster's child kafka-user-sample-app before, hence the alias.
const appKafka = new KafkaClient(
  "sample-app-kafka",
  {
    cluster: kafka,
    user: "sample-app",
    topics: [config.app.topic],
    groups: [appGroup],
    userAliases: [{ name: "kafka-user-sample-app", parent: kafka }],
  },
  onCluster,
);

const image = new SampleAppImage("sample-app-image", {
  context: path.join(__dirname, "sample-app"),
  repository: "kafka-sample-app",
  target: cluster.imageTarget,
});

const app = new SampleApp(
  "sample-app",
  {
    namespace: config.kafka.namespace,
    image: image.ref,
    settings: config.app,
    groupId: appGroup,
    kafka: appKafka.connection,
    dependsOn: appKafka.readyFor,
    metricsFrom: config.monitoring?.namespace,
  },
  onCluster,
);

if (keda && config.app.autoscaling) {
  new ConsumerScaler(
    "sample-app-scaler",
    {
      namespace: config.kafka.namespace,
      deployment: app.consumer,
      container: sampleAppContainer,
      usernameEnv: ENV.saslUsername,
      newGroupOffset,
      settings: config.app.autoscaling,
      groupId: appGroup,
      topic: config.app.topic,
      kafka: appKafka.connection,
      keda: keda.release,
    },
    onCluster,
  );
}

// Only where asked for: Prometheus scrapes Kafka (Strimzi's metrics reporter and Kafka Exporter), the Strimzi
// operator and the app; Grafana shows Strimzi's dashboards and the consumers' lag beside their replicas.
const monitoring = config.monitoring
  ? new Monitoring(
      "monitoring",
      {
        fluxNamespace: flux.namespace,
        settings: config.monitoring,
        podSecurity: "baseline",
        targets: [
          {
            // Brokers, controllers and the Kafka Exporter: Strimzi labels all of them kind=Kafka and names
            // their metrics port tcp-prometheus; the entity operator has no such port and is not scraped.
            name: "kafka",
            namespace: config.kafka.namespace,
            port: "tcp-prometheus",
            path: "/metrics",
            selector: { matchLabels: kafka.podLabels },
          },
          {
            name: "strimzi-cluster-operator",
            namespace: config.strimzi.namespace,
            port: "http",
            path: "/metrics",
            selector: { matchLabels: strimziOperatorPodLabels },
          },
          {
            name: "sample-app",
            namespace: config.kafka.namespace,
            // The app's metrics listener, the one port its NetworkPolicy opens to the monitoring namespace.
            port: KUBERNETES.ports.metrics,
            path: "/metrics",
            selector: { matchLabels: sampleAppLabels },
          },
        ],
        scaling: { group: appGroup, topic: config.app.topic, namespace: config.kafka.namespace, deployment: app.consumer.metadata.name },
        dependsOn: [flux.ready],
      },
      onCluster,
    )
  : undefined;

export const clusterName = cluster.name;
export const kubeconfig = cluster.userKubeconfig;
export const bootstrapServers = kafka.connection.bootstrapServers;
export const topicNames = kafka.topicNames;
export const dashboardCommand = pulumi.interpolate`${cluster.kubectl} -n ${config.kafka.namespace} port-forward svc/${app.serviceName} ${app.port}:${app.port}  # then open http://localhost:${app.port}`;
export const grafanaCommand = monitoring
  ? pulumi.interpolate`${cluster.kubectl} -n ${monitoring.namespace} port-forward svc/${monitoring.grafana.service} 3000:${monitoring.grafana.port}  # then open http://localhost:3000 (user admin)`
  : // An undefined output is dropped with a warning on every run; say why there is none instead.
    "monitoring is off on this stack (pulumi config set kafka-on-k8s:monitoring true)";
