import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { SampleAppSettings } from "./config";
import { KafkaConnection } from "./kafkaCluster";

const httpPort = 8080;
const caMountPath = "/etc/kafka-ca";

/** Labels of every sample-app pod: what Kafka's listener admits and the policies recognise. */
export const sampleAppLabels = { "app.kubernetes.io/name": "kafka-sample-app", "app.kubernetes.io/part-of": "kafka-on-k8s" };
/** Name of the app's container in both Deployments. */
export const sampleAppContainer = "app";
/** Environment variable holding the SASL user name, when the listener authenticates. */
export const saslUsernameEnv = "KAFKA_SASL_USERNAME";
/** Where a consumer group without committed offsets starts: KEDA must count its lag the same way. */
export const newGroupOffset: "earliest" | "latest" = "earliest";

export interface SampleAppArgs {
  /** Namespace to run in (the Kafka cluster's). */
  readonly namespace: string;
  /** Image reference to run. */
  readonly image: pulumi.Input<string>;
  /** Topic, replicas and rate. */
  readonly settings: SampleAppSettings;
  /** Consumer group id. */
  readonly groupId: string;
  /** How to reach Kafka. */
  readonly kafka: KafkaConnection;
  /** The Kafka cluster, topics and user must be Ready first, or the pods crash-loop at start. */
  readonly dependsOn: pulumi.Resource[];
}

/**
 * The KafkaJS sample app as two Deployments — producers and consumers scale apart, and consumer replicas
 * are what the dashboard shows sharing partitions — and a Service in front of the consumers' dashboard.
 */
export class SampleApp extends pulumi.ComponentResource {
  /** Service name of the dashboard. */
  public readonly serviceName: pulumi.Output<string>;
  /** The consumer Deployment, what KEDA scales. */
  public readonly consumer: k8s.apps.v1.Deployment;
  /** Port of the dashboard. */
  public readonly port: number = httpPort;

  constructor(name: string, args: SampleAppArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kafka-on-k8s:app:SampleApp", name, {}, opts);
    const { settings, kafka } = args;
    const appLabels = sampleAppLabels;

    const env: k8s.types.input.core.v1.EnvVar[] = [
      { name: "KAFKA_BROKERS", value: kafka.bootstrapServers },
      { name: "KAFKA_TOPIC", value: settings.topic },
      { name: "KAFKA_GROUP_ID", value: args.groupId },
      { name: "HTTP_PORT", value: String(httpPort) },
      ...(kafka.scram
        ? [
            { name: saslUsernameEnv, value: kafka.scram.username },
            { name: "KAFKA_SASL_PASSWORD", valueFrom: { secretKeyRef: { name: kafka.scram.passwordSecret, key: "password" } } },
          ]
        : []),
      ...(kafka.tlsCaSecret ? [{ name: "KAFKA_TLS_CA_FILE", value: `${caMountPath}/${kafka.tlsCaSecret.key}` }] : []),
    ];

    const deployment = (
      component: "producer" | "consumer",
      replicas: number,
      roleEnv: k8s.types.input.core.v1.EnvVar[],
      ignoreChanges: string[] = [],
    ) => {
      const labels = { ...appLabels, "app.kubernetes.io/component": component };
      // A node drain takes one replica at a time, so the group never loses every member at once.
      new k8s.policy.v1.PodDisruptionBudget(
        `${name}-${component}-pdb`,
        {
          metadata: { name: `sample-app-${component}`, namespace: args.namespace, labels },
          spec: { maxUnavailable: 1, selector: { matchLabels: labels } },
        },
        { parent: this },
      );
      return new k8s.apps.v1.Deployment(
        `${name}-${component}`,
        {
          metadata: { name: `sample-app-${component}`, namespace: args.namespace, labels },
          spec: {
            replicas,
            selector: { matchLabels: labels },
            template: {
              metadata: { labels },
              spec: {
                // The app commits and disconnects on SIGTERM; give it time to.
                terminationGracePeriodSeconds: 30,
                automountServiceAccountToken: false,
                securityContext: {
                  runAsNonRoot: true,
                  runAsUser: 10001,
                  runAsGroup: 10001,
                  seccompProfile: { type: "RuntimeDefault" },
                },
                containers: [
                  {
                    name: sampleAppContainer,
                    image: args.image,
                    env: [...env, ...roleEnv],
                    ports: [{ name: "http", containerPort: httpPort }],
                    readinessProbe: { httpGet: { path: "/readyz", port: "http" }, periodSeconds: 5 },
                    livenessProbe: { httpGet: { path: "/healthz", port: "http" }, periodSeconds: 10, failureThreshold: 6 },
                    resources: {
                      requests: { cpu: "100m", memory: "128Mi" },
                      limits: { memory: "256Mi" },
                    },
                    securityContext: {
                      allowPrivilegeEscalation: false,
                      readOnlyRootFilesystem: true,
                      capabilities: { drop: ["ALL"] },
                    },
                    volumeMounts: [
                      { name: "tmp", mountPath: "/tmp" },
                      ...(kafka.tlsCaSecret ? [{ name: "kafka-ca", mountPath: caMountPath, readOnly: true }] : []),
                    ],
                  },
                ],
                volumes: [
                  { name: "tmp", emptyDir: {} },
                  ...(kafka.tlsCaSecret ? [{ name: "kafka-ca", secret: { secretName: kafka.tlsCaSecret.name } }] : []),
                ],
              },
            },
          },
        },
        { parent: this, dependsOn: args.dependsOn, ignoreChanges },
      );
    };

    deployment("producer", settings.producerReplicas, [
      { name: "APP_ROLE", value: "producer" },
      { name: "PRODUCE_RATE", value: settings.produceRate },
    ]);
    // With autoscaling, KEDA's HPA sets spec.replicas through the scale subresource; re-applying the stack
    // file's count on the next `pulumi up` would undo its decision (and rebalance the group twice), so
    // Pulumi sets the count only at creation.
    this.consumer = deployment(
      "consumer",
      settings.consumerReplicas,
      [
        { name: "APP_ROLE", value: "consumer" },
        { name: "CONSUMER_FROM_BEGINNING", value: String(newGroupOffset === "earliest") },
      ],
      settings.autoscaling ? ["spec.replicas"] : [],
    );

    // kubectl port-forward picks one pod behind the Service; every consumer's dashboard shows the group.
    const service = new k8s.core.v1.Service(
      `${name}-service`,
      {
        metadata: { name: "sample-app", namespace: args.namespace, labels: appLabels },
        spec: {
          selector: { ...appLabels, "app.kubernetes.io/component": "consumer" },
          ports: [{ name: "http", port: httpPort, targetPort: "http" }],
        },
      },
      { parent: this },
    );

    // The pods talk to Kafka's brokers and DNS only, and take traffic on the dashboard port only.
    new k8s.networking.v1.NetworkPolicy(
      `${name}-network`,
      {
        metadata: { name: "sample-app", namespace: args.namespace, labels: appLabels },
        spec: {
          podSelector: { matchLabels: appLabels },
          policyTypes: ["Ingress", "Egress"],
          ingress: [{ ports: [{ protocol: "TCP", port: httpPort }] }],
          egress: [
            { to: [{ podSelector: { matchLabels: kafka.podLabels } }], ports: [{ protocol: "TCP", port: kafka.port }] },
            {
              to: [{ namespaceSelector: {}, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
              ports: [
                { protocol: "UDP", port: 53 },
                { protocol: "TCP", port: 53 },
              ],
            },
          ],
        },
      },
      { parent: this },
    );

    this.serviceName = service.metadata.name;
    this.registerOutputs({ serviceName: this.serviceName });
  }
}
