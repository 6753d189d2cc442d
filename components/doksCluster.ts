import * as digitalocean from "@pulumi/digitalocean";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { stringify } from "yaml";
import { Cluster, ImageTarget } from "./cluster";
import { DoksSettings } from "./config";

const registryServer = "registry.digitalocean.com";

export interface DoksClusterArgs extends Omit<DoksSettings, "kind"> {
  /** DOKS cluster name. */
  readonly name: string;
  /** MAJOR.MINOR prefix (newest patch is used) or an exact DigitalOcean version slug. */
  readonly kubernetesVersion: string;
}

/** A DigitalOcean Kubernetes cluster with one node pool and access to a container registry. */
export class DoksCluster extends pulumi.ComponentResource implements Cluster {
  /** Cluster name. */
  public readonly name: pulumi.Output<string>;
  /** Admin kubeconfig (secret), holding the API token: for the program only. */
  public readonly kubeconfig: pulumi.Output<string>;
  /**
   * Kubeconfig for people, as `doctl kubernetes cluster kubeconfig save` writes it: doctl fetches a short-lived
   * credential on each use with the user's own DigitalOcean login, so it holds no token and never goes stale.
   */
  public readonly userKubeconfig: pulumi.Output<string>;
  /** Saves that kubeconfig into ~/.kube/config (context do-<region>-<name>) and uses it. */
  public readonly kubectl: pulumi.Output<string>;
  /** Provider every Kubernetes resource of the stack uses. */
  public readonly provider: k8s.Provider;
  /** Images are pushed to the DigitalOcean Container Registry. */
  public readonly imageTarget: ImageTarget;

  constructor(name: string, args: DoksClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kafka-on-k8s:cluster:DoksCluster", name, {}, opts);

    // An account has one registry; registryIntegration below needs it to exist first.
    const registry = args.createRegistry
      ? new digitalocean.ContainerRegistry(
          `${name}-registry`,
          {
            name: args.registryName,
            subscriptionTierSlug: "basic",
            region: args.region,
          },
          { parent: this },
        )
      : undefined;

    const version = /-do\.\d+$/.test(args.kubernetesVersion)
      ? pulumi.output(args.kubernetesVersion)
      : digitalocean.getKubernetesVersionsOutput({ versionPrefix: `${args.kubernetesVersion}.` }, { parent: this }).latestVersion;

    const cluster = new digitalocean.KubernetesCluster(
      `${name}-cluster`,
      {
        name: args.name,
        region: args.region,
        version,
        ha: args.ha,
        registryIntegration: true,
        surgeUpgrade: true,
        // Volumes and load balancers the cluster made outlive it unless DigitalOcean is told to delete them.
        destroyAllAssociatedResources: args.destroyVolumes,
        nodePool: {
          name: `${args.name}-pool`,
          size: args.nodeSize,
          autoScale: args.autoscale,
          nodeCount: args.nodeCount,
          minNodes: args.autoscale ? args.nodeCount : undefined,
          maxNodes: args.autoscale ? args.maxNodes : undefined,
        },
      },
      {
        parent: this,
        dependsOn: registry ? [registry] : [],
        // The autoscaler owns the node count once it runs; a second `up` must not fight it.
        // A new patch release is an upgrade to opt into, not a diff on every `up`.
        ignoreChanges: [...(args.autoscale ? ["nodePool.nodeCount"] : []), "version"],
      },
    );

    // The downloaded kubeconfig carries a token that expires after 7 days (pulumi-digitalocean#312);
    // DOKS accepts the API token itself, so the kubeconfig is built from it and never goes stale.
    this.kubeconfig = pulumi.secret(
      pulumi.all([cluster.name, cluster.endpoint, cluster.kubeConfigs, args.token]).apply(([clusterName, endpoint, kubeConfigs, token]) =>
        stringify({
          apiVersion: "v1",
          kind: "Config",
          clusters: [
            { name: clusterName, cluster: { server: endpoint, "certificate-authority-data": kubeConfigs[0].clusterCaCertificate } },
          ],
          users: [{ name: `${clusterName}-admin`, user: { token } }],
          contexts: [{ name: clusterName, context: { cluster: clusterName, user: `${clusterName}-admin` } }],
          "current-context": clusterName,
        }),
      ),
    );
    this.userKubeconfig = pulumi.secret(
      pulumi.all([cluster.name, cluster.id, cluster.endpoint, cluster.kubeConfigs]).apply(([clusterName, id, endpoint, kubeConfigs]) => {
        const context = `do-${args.region}-${clusterName}`;
        return stringify({
          apiVersion: "v1",
          kind: "Config",
          clusters: [{ name: context, cluster: { server: endpoint, "certificate-authority-data": kubeConfigs[0].clusterCaCertificate } }],
          users: [
            {
              name: `${context}-admin`,
              user: {
                exec: {
                  apiVersion: "client.authentication.k8s.io/v1beta1",
                  command: "doctl",
                  args: ["kubernetes", "cluster", "kubeconfig", "exec-credential", "--version=v1beta1", id],
                },
              },
            },
          ],
          contexts: [{ name: context, context: { cluster: context, user: `${context}-admin` } }],
          "current-context": context,
        });
      }),
    );
    this.kubectl = pulumi.interpolate`doctl kubernetes cluster kubeconfig save ${cluster.name} && kubectl --context do-${args.region}-${cluster.name}`;
    this.name = cluster.name;
    this.provider = new k8s.Provider(
      `${name}-provider`,
      {
        kubeconfig: this.kubeconfig,
        clusterIdentifier: cluster.id,
        deleteUnreachable: true,
      },
      { parent: this },
    );
    this.imageTarget = {
      kind: "registry",
      server: registryServer,
      repositoryPrefix: pulumi.output(`${registryServer}/${args.registryName}`),
      token: args.token,
      // Every DOKS Droplet size is x86-64.
      platform: "linux/amd64",
      dependsOn: registry ? [registry] : [],
    };

    this.registerOutputs({ name: this.name, kubeconfig: this.kubeconfig });
  }
}
