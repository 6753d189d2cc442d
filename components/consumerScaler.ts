import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ConsumerAutoscaling } from "./config";
import { KafkaConnection } from "./kafkaCluster";

const apiVersion = "keda.sh/v1alpha1";

export interface ConsumerScalerArgs {
  /** Namespace of the consumer Deployment (the Kafka cluster's). */
  readonly namespace: string;
  /** The consumer Deployment KEDA scales. */
  readonly deployment: k8s.apps.v1.Deployment;
  /** Container of the Deployment whose environment holds the SASL user name. */
  readonly container: string;
  /** Environment variable of that container holding the SASL user name. */
  readonly usernameEnv: string;
  /** Where the consumers start a group that has no committed offset. */
  readonly newGroupOffset: "earliest" | "latest";
  /** Replica bounds, lag threshold and scale-in stabilisation. */
  readonly settings: ConsumerAutoscaling;
  /** Consumer group whose lag drives the scaling. */
  readonly groupId: string;
  /** Topic the group consumes. */
  readonly topic: string;
  /** How to reach Kafka, with the app user's credentials when auth is on. */
  readonly kafka: KafkaConnection;
  /** The KEDA HelmRelease: Ready means the ScaledObject CRDs and the operator exist. */
  readonly keda: pulumi.Resource;
}

/**
 * A KEDA ScaledObject that scales the consumer Deployment on its group's lag (KEDA's kafka trigger), and,
 * where the listener authenticates, the TriggerAuthentication that lends the trigger the app user's
 * credentials and the cluster CA from their Secrets, so no password appears in the ScaledObject.
 */
export class ConsumerScaler extends pulumi.ComponentResource {
  /** The ScaledObject. */
  public readonly scaledObject: k8s.apiextensions.CustomResource;

  constructor(name: string, args: ConsumerScalerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kafka-on-k8s:app:ConsumerScaler", name, {}, opts);
    const { settings, kafka } = args;
    const dependsOn = [args.keda, args.deployment];

    const auth = kafka.scram
      ? new k8s.apiextensions.CustomResource(
          `${name}-auth`,
          {
            apiVersion,
            kind: "TriggerAuthentication",
            metadata: { name: "sample-app-kafka", namespace: args.namespace },
            spec: {
              // The Strimzi user Secret holds the password but not the user name; the consumer's own
              // environment does, and KEDA reads it from the scale target's container.
              env: [{ parameter: "username", name: args.usernameEnv, containerName: args.container }],
              secretTargetRef: [
                { parameter: "password", name: kafka.scram.passwordSecret, key: "password" },
                ...(kafka.tlsCaSecret ? [{ parameter: "ca", name: kafka.tlsCaSecret.name, key: kafka.tlsCaSecret.key }] : []),
              ],
            },
          },
          { parent: this, dependsOn },
        )
      : undefined;

    this.scaledObject = new k8s.apiextensions.CustomResource(
      `${name}-scaledobject`,
      {
        apiVersion,
        kind: "ScaledObject",
        metadata: { name: args.deployment.metadata.name, namespace: args.namespace },
        spec: {
          scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: args.deployment.metadata.name },
          minReplicaCount: settings.minReplicas,
          maxReplicaCount: settings.maxReplicas,
          pollingInterval: 15,
          advanced: {
            horizontalPodAutoscalerConfig: {
              behavior: {
                // Every change of membership rebalances the group and pauses consumption; a lag dip
                // must outlast the window before a consumer leaves, and then one at a time.
                scaleDown: {
                  stabilizationWindowSeconds: settings.scaleDownStabilizationSeconds,
                  policies: [{ type: "Pods", value: 1, periodSeconds: 60 }],
                },
              },
            },
          },
          triggers: [
            {
              type: "kafka",
              // Trigger metadata is a string map in KEDA's CRD.
              metadata: {
                bootstrapServers: kafka.bootstrapServers,
                consumerGroup: args.groupId,
                topic: args.topic,
                lagThreshold: String(settings.lagThreshold),
                // As the consumers start a group without commits. With "latest" while they start at the
                // earliest, KEDA counts such a partition as lag 1 however large its backlog
                // (test/sample-app/keda-lag.test.ts).
                offsetResetPolicy: args.newGroupOffset,
                ...(kafka.scram ? { sasl: "scram_sha512" } : {}),
                ...(kafka.tlsCaSecret ? { tls: "enable" } : {}),
              },
              ...(auth ? { authenticationRef: { name: "sample-app-kafka" } } : {}),
            },
          ],
        },
      },
      { parent: this, dependsOn: auth ? [...dependsOn, auth] : dependsOn },
    );

    this.registerOutputs({ scaledObject: this.scaledObject.metadata.name });
  }
}
