import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

/** Where a built image must go for the cluster's nodes to run it. */
export type ImageTarget = {
  /**
   * What must exist before the image is published (the cluster, the registry). Explicit, so the image
   * reference stays a known value that previews and policies can read.
   */
  readonly dependsOn: pulumi.Resource[];
} & (
  | {
      readonly kind: "kind";
      /** Name of the kind cluster. */
      readonly clusterName: string;
      /** Changes when the cluster is re-created: a new cluster needs the image loaded again. */
      readonly clusterId: pulumi.Output<string>;
    }
  | {
      readonly kind: "registry";
      /** Registry host, e.g. registry.digitalocean.com. */
      readonly server: string;
      /** Repository prefix under the host, e.g. registry.digitalocean.com/my-registry. */
      readonly repositoryPrefix: pulumi.Output<string>;
      /**
       * A Docker config (`{"auths": ...}`, secret) that can push to the registry, made for the image tagged
       * `tag`: a new tag gets a new, short-lived credential, so a push never runs with an expired one.
       */
      pushCredentials(tag: string, parent: pulumi.Resource): pulumi.Output<string>;
      /** `docker build --platform` of the nodes, so an image built on an arm64 laptop runs on them. */
      readonly platform: string;
    }
);

/** How the program's provider and the flux CLI reach the cluster as admin. */
export type AdminAccess =
  /** The kubeconfig itself (secret), fixed for the cluster's life (kind's client certificate). */
  | { readonly kubeconfig: pulumi.Output<string> }
  /**
   * The path of a kubeconfig file the program writes afresh on every run, holding a short-lived credential.
   * The path is the same from run to run, so neither the provider's inputs nor the Flux command's
   * environment change when the credential does (either change would be an update on every run).
   */
  | { readonly kubeconfigFile: pulumi.Output<string> };

/** What the rest of the stack needs from a cluster, whichever kind made it. */
export interface Cluster {
  /** Cluster name. */
  readonly name: pulumi.Output<string>;
  /** How the program's provider and the flux CLI reach the cluster: never an account-wide credential. */
  readonly admin: AdminAccess;
  /** Kubeconfig for people, exported by the stack: never an account-wide credential (secret). */
  readonly userKubeconfig: pulumi.Output<string>;
  /** How a person runs kubectl against the cluster without writing a credential into the working tree. */
  readonly kubectl: pulumi.Output<string>;
  /** Provider every Kubernetes resource of the stack uses. */
  readonly provider: k8s.Provider;
  /** How the sample-app image reaches the nodes. */
  readonly imageTarget: ImageTarget;
  /**
   * The resource whose deletion takes every Kubernetes object on the cluster with it, when nothing
   * those objects hold outlives the cluster: kind's cluster. Unset for DOKS, whose volumes and load
   * balancers must be deleted through Kubernetes.
   */
  readonly deletedWith?: pulumi.Resource;
}
