import * as command from "@pulumi/command";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ENV, HTTP_PORT, KUBERNETES, METRICS_PORT } from "../sample-app/src/contract";
import { SampleAppSettings } from "./config";
import { KafkaConnection } from "./kafkaCluster";

const caMountPath = "/etc/kafka-ca";

/** Labels of every sample-app pod: what Kafka's listener admits and the policies recognise. */
export const sampleAppLabels = { [KUBERNETES.labels.name]: KUBERNETES.name, [KUBERNETES.labels.partOf]: KUBERNETES.partOf };
/** Name of the app's container in both Deployments. */
export const sampleAppContainer = "app";
/** The Secret holding the stack's POST /messages token, and its key. */
export const postTokenSecret = { name: "sample-app-post-token", key: "token" };
/** The label Kubernetes gives every namespace, its name: how a policy names a namespace. */
const namespaceNameLabel = "kubernetes.io/metadata.name";
/**
 * Makes the POST token once, when the Command is created, and prints it (64 hex digits, 256 bits) on
 * stdout. The command holds no secret itself; `node` is what runs the program, so it is there.
 */
export const postTokenCommand = `node -e "process.stdout.write(require('crypto').randomBytes(32).toString('hex'))"`;

/**
 * The Command that makes the POST token: its stdout is a secret output (encrypted in the state) and it logs
 * nothing, so the token never reaches the engine's output. test-engine/post-token.test.ts runs it through
 * the real engine.
 */
export function postTokenMaker(name: string, opts: pulumi.CustomResourceOptions): command.local.Command {
  return new command.local.Command(name, { create: postTokenCommand, logging: "none" }, { ...opts, additionalSecretOutputs: ["stdout"] });
}

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
  /** Namespace whose pods (Prometheus) may scrape the metrics port; undefined = no one may. */
  readonly metricsFrom?: string;
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

    // The token POST /messages needs, one per stack. Made by the program at the first `pulumi up`, kept in
    // the state (encrypted, as a secret output) and unchanged by later runs, since the Command's inputs do
    // not change; `pulumi up --replace` on it rotates it. Chosen over the alternatives:
    // - @pulumi/random would do the same, but the engine here has no random provider plugin;
    // - a `pulumi config set --secret` value would be one more step before the first `up` of every stack;
    // - an HMAC of an existing secret needs one, and the dev stack has none;
    // - Node's crypto in the program itself gives a new value on every run.
    // Logging is off so the token never reaches the engine's output; the Secret hands it to the pods.
    const tokenCommand = postTokenMaker(`${name}-post-token`, { parent: this });
    const tokenSecret = new k8s.core.v1.Secret(
      `${name}-post-token`,
      {
        metadata: { name: postTokenSecret.name, namespace: args.namespace, labels: appLabels },
        type: "Opaque",
        stringData: { [postTokenSecret.key]: pulumi.secret(tokenCommand.stdout) },
      },
      { parent: this },
    );

    const env: k8s.types.input.core.v1.EnvVar[] = [
      { name: ENV.brokers, value: kafka.bootstrapServers },
      { name: ENV.topic, value: settings.topic },
      { name: ENV.groupId, value: args.groupId },
      { name: ENV.httpPort, value: String(HTTP_PORT) },
      { name: ENV.metricsPort, value: String(METRICS_PORT) },
      { name: ENV.postToken, valueFrom: { secretKeyRef: { name: tokenSecret.metadata.name, key: postTokenSecret.key } } },
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
                    ports: [
                      { name: KUBERNETES.ports.http, containerPort: HTTP_PORT },
                      { name: KUBERNETES.ports.metrics, containerPort: METRICS_PORT },
                    ],
                    // The kubelet's probes come from the node, which NetworkPolicy always admits.
                    readinessProbe: { httpGet: { path: "/readyz", port: KUBERNETES.ports.http }, periodSeconds: 5 },
                    livenessProbe: {
                      httpGet: { path: "/healthz", port: KUBERNETES.ports.http },
                      periodSeconds: 10,
                      failureThreshold: 6,
                    },
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
        metadata: { name: KUBERNETES.service, namespace: args.namespace, labels: appLabels },
        spec: {
          selector: { ...appLabels, [KUBERNETES.labels.component]: "consumer" },
          ports: [{ name: KUBERNETES.ports.http, port: HTTP_PORT, targetPort: KUBERNETES.ports.http }],
        },
      },
      { parent: this },
    );

    // The pods talk to Kafka's brokers and DNS only. They take traffic on the dashboard/API port only from
    // the peers the stack names (none by default: the port-forward and the kubelet's probes are not subject
    // to NetworkPolicy), and on the metrics port only from the monitoring namespace. With neither, the
    // ingress list is empty and admits nothing.
    const ingress: k8s.types.input.networking.v1.NetworkPolicyIngressRule[] = [
      ...(settings.httpPeers.length
        ? [
            {
              from: settings.httpPeers.map((p) => ({
                namespaceSelector: { matchLabels: { [namespaceNameLabel]: p.namespace } },
                podSelector: { matchLabels: p.podLabels ?? {} },
              })),
              ports: [{ protocol: "TCP", port: HTTP_PORT }],
            },
          ]
        : []),
      ...(args.metricsFrom
        ? [
            {
              from: [{ namespaceSelector: { matchLabels: { [namespaceNameLabel]: args.metricsFrom } } }],
              ports: [{ protocol: "TCP", port: METRICS_PORT }],
            },
          ]
        : []),
    ];
    new k8s.networking.v1.NetworkPolicy(
      `${name}-network`,
      {
        metadata: { name: KUBERNETES.service, namespace: args.namespace, labels: appLabels },
        spec: {
          podSelector: { matchLabels: appLabels },
          policyTypes: ["Ingress", "Egress"],
          ingress,
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
