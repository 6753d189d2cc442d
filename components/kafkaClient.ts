import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { kafkaApiVersion, KafkaCluster, KafkaConnection, waitReady } from "./kafkaCluster";

export interface KafkaClientArgs {
  /** The cluster the client connects to. */
  readonly cluster: KafkaCluster;
  /** KafkaUser name: the SCRAM user name and the Secret the User Operator writes its password to. */
  readonly user: string;
  /** Topics the client may describe, read and write. */
  readonly topics: string[];
  /** Consumer groups the client may describe and join. */
  readonly groups: string[];
  /** Earlier names of the KafkaUser, so that moving it into this component does not replace it. */
  readonly userAliases?: pulumi.Input<pulumi.Alias>[];
}

/**
 * One client's access to a Kafka cluster, declared on the client's side so the cluster serves another
 * client without edits: where the listener authenticates, a SCRAM-SHA-512 KafkaUser with ACLs for the
 * client's own topics and groups only; otherwise nothing to declare.
 */
export class KafkaClient extends pulumi.ComponentResource {
  /** How this client reaches the cluster, with its credentials when the listener authenticates. */
  public readonly connection: KafkaConnection;
  /** Resources the client must wait for before connecting (the cluster, its topics, this client's user). */
  public readonly readyFor: pulumi.Resource[];

  constructor(name: string, args: KafkaClientArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kafka-on-k8s:kafka:KafkaClient", name, {}, opts);
    const { cluster } = args;

    const user = cluster.scram
      ? new k8s.apiextensions.CustomResource(
          `${name}-user`,
          {
            apiVersion: kafkaApiVersion,
            kind: "KafkaUser",
            metadata: {
              name: args.user,
              // The cluster's User Operator only manages users in its namespace that carry its label.
              namespace: cluster.namespace,
              labels: cluster.userLabels,
              annotations: waitReady(300),
            },
            spec: {
              authentication: { type: "scram-sha-512" },
              authorization: {
                type: "simple",
                acls: [
                  ...args.topics.map((topic) => ({ resource: { type: "topic", name: topic }, operations: ["Describe", "Read", "Write"] })),
                  ...args.groups.map((group) => ({ resource: { type: "group", name: group }, operations: ["Describe", "Read"] })),
                ],
              },
            },
          },
          { parent: this, dependsOn: [cluster.kafka], aliases: args.userAliases },
        )
      : undefined;

    this.connection = {
      ...cluster.connection,
      scram: user ? { username: args.user, passwordSecret: args.user } : undefined,
    };
    this.readyFor = [...cluster.readyFor, ...(user ? [user] : [])];

    this.registerOutputs({ user: user?.metadata.name });
  }
}
