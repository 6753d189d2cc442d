import * as digitalocean from "@pulumi/digitalocean";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { lstatSync, mkdirSync, writeFileSync } from "fs";
import { tmpdir, userInfo } from "os";
import { join } from "path";
import { stringify } from "yaml";
import { AdminAccess, Cluster, ImageTarget } from "./cluster";
import { DoksSettings } from "./config";

const registryServer = "registry.digitalocean.com";

/**
 * How long the credentials the program fetches live: one `pulumi up` or destroy, not DOKS's default of
 * 7 days. They are fetched again on every run.
 */
const credentialSeconds = 3600;

/** A kubeconfig with one cluster, user and context named `context`. */
function kubeconfigYaml(context: string, server: string, caData: string, user: Record<string, unknown>): string {
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: context, cluster: { server, "certificate-authority-data": caData } }],
    users: [{ name: `${context}-admin`, user }],
    contexts: [{ name: context, context: { cluster: context, user: `${context}-admin` } }],
    "current-context": context,
  });
}

/**
 * Where this stack's cluster credential is written on every run: the same path each time (so the provider
 * and the Flux command see no change), in a directory only this user can read.
 */
function credentialFile(): string {
  const { uid } = userInfo();
  const dir = join(tmpdir(), `kafka-on-k8s-${uid}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // Refuse a directory someone else made (or a link to one): the file holds a cluster-admin credential.
  const stat = lstatSync(dir);
  if (!stat.isDirectory() || stat.uid !== uid || (stat.mode & 0o077) !== 0) {
    throw new Error(`${dir} must be a directory of user ${uid} that no one else can read`);
  }
  return join(dir, `${pulumi.getProject()}-${pulumi.getStack()}.kubeconfig`);
}

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
  /**
   * The file the provider and the flux CLI read: a kubeconfig with a credential DOKS issues for this cluster
   * only, fetched afresh on every run and valid for an hour. The account's API token never leaves the
   * `digitalocean` provider.
   */
  public readonly admin: AdminAccess;
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

    // A new credential on every run (getKubernetesCluster asks DOKS for one), written to a file whose path
    // never changes: the credential in the cluster's own state would expire 7 days after it was created
    // (pulumi-digitalocean#312), and a credential passed as a value would change the provider's inputs and
    // the Flux command's environment on every run. Unknown until the cluster exists.
    const kubeconfigFile = pulumi.all([cluster.id, cluster.name]).apply(async ([, clusterName]) => {
      const found = await digitalocean.getKubernetesCluster(
        { name: clusterName, kubeconfigExpireSeconds: credentialSeconds },
        { parent: this },
      );
      const credential = found.kubeConfigs[0];
      const file = credentialFile();
      writeFileSync(
        file,
        kubeconfigYaml(`do-${args.region}-${clusterName}`, credential.host, credential.clusterCaCertificate, { token: credential.token }),
        { mode: 0o600 },
      );
      return file;
    });
    this.admin = { kubeconfigFile };
    this.userKubeconfig = pulumi.secret(
      pulumi.all([cluster.name, cluster.id, cluster.endpoint, cluster.kubeConfigs]).apply(([clusterName, id, endpoint, kubeConfigs]) => {
        return kubeconfigYaml(`do-${args.region}-${clusterName}`, endpoint, kubeConfigs[0].clusterCaCertificate, {
          exec: {
            apiVersion: "client.authentication.k8s.io/v1beta1",
            command: "doctl",
            args: ["kubernetes", "cluster", "kubeconfig", "exec-credential", "--version=v1beta1", id],
          },
        });
      }),
    );
    this.kubectl = pulumi.interpolate`doctl kubernetes cluster kubeconfig save ${cluster.name} && kubectl --context do-${args.region}-${cluster.name}`;
    this.name = cluster.name;
    this.provider = new k8s.Provider(
      `${name}-provider`,
      {
        kubeconfig: kubeconfigFile,
        clusterIdentifier: cluster.id,
        deleteUnreachable: true,
      },
      { parent: this },
    );
    this.imageTarget = {
      kind: "registry",
      server: registryServer,
      repositoryPrefix: pulumi.output(`${registryServer}/${args.registryName}`),
      // The registry's own Docker credential, read-write, made for each new image and valid for an hour:
      // never the account token, which can do anything in the account.
      // Secret whatever the provider's schema says: the Command's environment is stored in the state.
      pushCredentials: (tag, parent) =>
        pulumi.secret(
          new digitalocean.ContainerRegistryDockerCredentials(
            `${name}-push-credentials`,
            { registryName: args.registryName, write: true, expirySeconds: credentialSeconds },
            {
              parent,
              dependsOn: registry ? [registry] : [],
              replacementTrigger: tag,
              // Its delete revokes the credential at https://cloud.digitalocean.com/v1/oauth/revoke (not the API
              // URL the provider is given) and the provider panics when that fails (test-converge: destroy
              // failed there). It expires within the hour anyway, so it is left to expire.
              retainOnDelete: true,
            },
          ).dockerCredentials,
        ),
      // Every DOKS Droplet size is x86-64.
      platform: "linux/amd64",
      dependsOn: registry ? [registry] : [],
    };

    this.registerOutputs({ name: this.name, kubeconfig: this.userKubeconfig });
  }
}
