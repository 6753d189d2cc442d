import * as command from "@pulumi/command";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { stringify } from "yaml";
import { AdminAccess, Cluster, ImageTarget } from "./cluster";
import { KindSettings } from "./config";

export interface KindClusterArgs extends Omit<KindSettings, "kind"> {
  /** Name of the kind cluster (and of its kubectl context, kind-<name>). */
  readonly name: string;
}

/**
 * A local kind cluster, made by the kind CLI because no Pulumi provider manages kind.
 * The kubeconfig is the command's stdout, kept as a secret. The provider is keyed by the command's id
 * (clusterIdentifier), which is new exactly when the cluster is re-created: a re-read kubeconfig replaces
 * nothing, while a new cluster replaces the provider and so re-creates everything on it.
 */
export class KindCluster extends pulumi.ComponentResource implements Cluster {
  /** Cluster name. */
  public readonly name: pulumi.Output<string>;
  /** Admin kubeconfig (secret). */
  public readonly kubeconfig: pulumi.Output<string>;
  /** The admin kubeconfig itself: it is the same for the cluster's life. */
  public readonly admin: AdminAccess;
  /** The same admin kubeconfig: a local cluster's client certificate grants nothing elsewhere. */
  public readonly userKubeconfig: pulumi.Output<string>;
  /** kind writes the context `kind-<name>` into ~/.kube/config itself. */
  public readonly kubectl: pulumi.Output<string>;
  /** Provider every Kubernetes resource of the stack uses. */
  public readonly provider: k8s.Provider;
  /** Images reach the nodes by `kind load docker-image`. */
  public readonly imageTarget: ImageTarget;
  /** The cluster's Command: deleting a kind cluster deletes everything on it. */
  public readonly deletedWith: pulumi.Resource;

  constructor(name: string, args: KindClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kafka-on-k8s:cluster:KindCluster", name, {}, opts);

    const kindConfig = stringify({
      kind: "Cluster",
      apiVersion: "kind.x-k8s.io/v1alpha4",
      nodes: [
        { role: "control-plane", image: args.nodeImage },
        ...Array.from({ length: args.workers }, () => ({ role: "worker", image: args.nodeImage })),
      ],
    });

    const create = new command.local.Command(
      `${name}-create`,
      {
        interpreter: ["/bin/bash", "-c"],
        // kind's progress goes to stderr; stdout carries only the kubeconfig.
        create:
          'set -euo pipefail; kind create cluster --name "$KIND_CLUSTER" --config - --wait 180s >&2; kind get kubeconfig --name "$KIND_CLUSTER"',
        delete: 'kind delete cluster --name "$KIND_CLUSTER"',
        stdin: kindConfig,
        environment: { KIND_CLUSTER: args.name },
        // A changed node layout or image is a new cluster, never an in-place edit.
        triggers: [kindConfig, args.name],
        logging: command.types.enums.local.Logging.Stderr,
      },
      {
        parent: this,
        additionalSecretOutputs: ["stdout"],
        // The new cluster has the old one's name: the old one must go first.
        deleteBeforeReplace: true,
      },
    );

    this.deletedWith = create;
    this.name = pulumi.output(args.name);
    this.kubeconfig = pulumi.secret(create.stdout);
    this.userKubeconfig = this.kubeconfig;
    this.admin = { kubeconfig: this.kubeconfig };
    this.kubectl = pulumi.output(`kubectl --context kind-${args.name}`);
    this.provider = new k8s.Provider(
      `${name}-provider`,
      {
        kubeconfig: this.kubeconfig,
        clusterIdentifier: create.id,
        // A cluster deleted outside Pulumi (kind delete cluster, a Docker restart) must not block destroy.
        deleteUnreachable: true,
      },
      { parent: this },
    );
    this.imageTarget = { kind: "kind", clusterName: args.name, clusterId: create.id, dependsOn: [create] };

    this.registerOutputs({ name: this.name, kubeconfig: this.kubeconfig });
  }
}
