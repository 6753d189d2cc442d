import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ENV, HTTP_PORT, KUBERNETES } from "../sample-app/src/contract";
import { SampleAppSettings } from "./config";
import { KafkaConnection } from "./kafkaCluster";

const caMountPath = "/etc/kafka-ca";

/** Labels of every sample-app pod: what Kafka's listener admits and the policies recognise. */
export const sampleAppLabels = { [KUBERNETES.labels.name]: KUBERNETES.name, [KUBERNETES.labels.partOf]: KUBERNETES.partOf };
/** Name of the app's container in both Deployments. */
export const sampleAppContainer = "app";
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
  public readonly port: number = HTTP_PORT;

  constructor(name: string, args: SampleAppArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kafka-on-k8s:app:SampleApp", name, {}, opts);
    const { settings, kafka } = args;
    const appLabels = sampleAppLabels;

    const env: k8s.types.input.core.v1.EnvVar[] = [
      { name: ENV.brokers, value: kafka.bootstrapServers },
      { name: ENV.topic, value: settings.topic },
      { name: ENV.groupId, value: args.groupId },
      { name: ENV.httpPort, value: String(HTTP_PORT) },
      ...(kafka.scram
        ? [
            { name: ENV.saslUsername, value: kafka.scram.username },
            { name: ENV.saslPassword, valueFrom: { secretKeyRef: { name: kafka.scram.passwordSecret, key: "password" } } },
          ]
        : []),
      ...(kafka.tlsCaSecret ? [{ name: ENV.tlsCaFile, value: `${caMountPath}/${kafka.tlsCaSecret.key}` }] : []),
    ];

    const deployment = (
      component: "producer" | "consumer",
      replicas: number,
      roleEnv: k8s.types.input.core.v1.EnvVar[],
      ignoreChanges: string[] = [],
    ) => {
      const labels = { ...appLabels, [KUBERNETES.labels.component]: component };
      // A node drain takes one replica at a time, so the group never loses every member at once.
      new k8s.policy.v1.PodDisruptionBudget(
        `${name}-${component}-pdb`,
        {
          metadata: { name: KUBERNETES.deployments[component], namespace: args.namespace, labels },
          spec: { maxUnavailable: 1, selector: { matchLabels: labels } },
        },
        { parent: this },
      );
      return new k8s.apps.v1.Deployment(
        `${name}-${component}`,
        {
          metadata: { name: KUBERNETES.deployments[component], namespace: args.namespace, labels },
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
                    ports: [{ name: "http", containerPort: HTTP_PORT }],
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
      { name: ENV.role, value: "producer" },
      { name: ENV.produceRate, value: settings.produceRate },
    ]);
    // With autoscaling, KEDA's HPA sets spec.replicas through the scale subresource; re-applying the stack
    // file's count on the next `pulumi up` would undo its decision (and rebalance the group twice), so
    // Pulumi sets the count only at creation.
    this.consumer = deployment(
      "consumer",
      settings.consumerReplicas,
      [
        { name: ENV.role, value: "consumer" },
        { name: ENV.fromBeginning, value: String(newGroupOffset === "earliest") },
      ],
      settings.autoscaling ? ["spec.replicas"] : [],
    );

    // kubectl port-forward picks one pod behind the Service; every consumer's dashboard shows the group.
    const service = new k8s.core.v1.Service(
      `${name}-service`,
      {
        metadata: { name: "sample-app", namespace: args.namespace, labels: appLabels },
        spec: {
          selector: { ...appLabels, [KUBERNETES.labels.component]: "consumer" },
          ports: [{ name: "http", port: HTTP_PORT, targetPort: "http" }],
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
          ingress: [{ ports: [{ protocol: "TCP", port: HTTP_PORT }] }],
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
