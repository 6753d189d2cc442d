// DOKS STAND-IN, the cluster side — not DigitalOcean Kubernetes. What the local DigitalOcean API
// (../support/do-api.ts) hands out as a DOKS cluster: the real local control plane of the convergence stage
// (etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok fake nodes) plus the controller
// stand-in (./standin.ts), with what DOKS adds to a cluster:
//   - one kwok node per node of each node pool, named and labelled as DOKS labels its Droplets
//     (pool name and id, instance type, region); no topology zone, as DOKS sets none;
//   - the `do-block-storage` StorageClass (DigitalOcean's CSI driver), whose claims become volumes in the
//     DigitalOcean API, tagged `k8s:<cluster id>` (the driver does that; here a loop does, and nothing is
//     attached or bound);
//   - the account's API token is accepted as cluster-admin, as DOKS does, under its own user name so the
//     audit log tells it apart; the credentials DOKS issues per cluster (/kubeconfig, /credentials) are
//     short-lived service-account tokens from the cluster itself.
import { ApiServer, buildControlPlaneTools, FakeNode, registerFakeNodes, startControlPlane } from "../support/apiserver";
import { ClusterBackend, PoolNodes } from "../support/do-api";
import { startStandIn, StandIn } from "./standin";

/** User name the account token authenticates as, in the audit log. */
export const accountTokenUser = "digitalocean-account-token";
/** The service account whose tokens /kubeconfig and /credentials hand out. */
const credentialAccount = { namespace: "kube-system", name: "doks-credentials" };

/** DOKS's node labels for a node of `pool`. */
function nodeOf(pool: PoolNodes, region: string, name: string): FakeNode {
  return {
    name,
    role: "worker",
    labels: {
      "doks.digitalocean.com/node-pool": pool.name,
      "doks.digitalocean.com/node-pool-id": pool.id,
      "node.kubernetes.io/instance-type": pool.size,
      "topology.kubernetes.io/region": region,
      region,
    },
  };
}

/** Starts a cluster with the pools' nodes; `accountToken` is accepted as DOKS accepts it. */
export async function startDoksBackend(
  pools: readonly { pool: PoolNodes; names: readonly string[] }[],
  region: string,
  accountToken: string,
  auditLog: string,
  log: (line: string) => void,
): Promise<ClusterBackend> {
  const tools = await buildControlPlaneTools();
  const server: ApiServer = await startControlPlane(
    tools,
    pools.flatMap(({ pool, names }) => names.map((n) => nodeOf(pool, region, n))),
    { tokens: [{ token: accountToken, user: accountTokenUser, groups: ["system:masters"] }], auditLog },
  );
  let standIn: StandIn | undefined;
  const kubectl = async (args: string[], input?: string): Promise<string> => {
    const run = await server.kubectl(args, input);
    if (run.code !== 0) throw new Error(`kubectl ${args.join(" ")}: ${run.stderr}`);
    return run.stdout;
  };
  try {
    const { namespace, name } = credentialAccount;
    await kubectl(["create", "serviceaccount", name, "-n", namespace]);
    await kubectl(["create", "clusterrolebinding", name, "--clusterrole=cluster-admin", `--serviceaccount=${namespace}:${name}`]);
    await kubectl(
      ["create", "-f", "-"],
      JSON.stringify({
        apiVersion: "storage.k8s.io/v1",
        kind: "StorageClass",
        metadata: { name: "do-block-storage", annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
        provisioner: "dobs.csi.digitalocean.com",
        reclaimPolicy: "Delete",
        allowVolumeExpansion: true,
        volumeBindingMode: "Immediate",
      }),
    );
    standIn = startStandIn(server, tools.helm, log);
  } catch (e) {
    await server.stop();
    throw e;
  }
  return {
    endpoint: server.url,
    ca: server.tls.ca,
    mintToken: async (seconds) =>
      (await kubectl(["create", "token", credentialAccount.name, "-n", credentialAccount.namespace, `--duration=${seconds}s`])).trim(),
    addNodes: (pool, r, names) =>
      registerFakeNodes(
        server,
        names.map((n) => nodeOf(pool, r, n)),
      ),
    claims: async () =>
      (JSON.parse(await kubectl(["get", "persistentvolumeclaims", "--all-namespaces", "-o", "json"])).items as Record<string, any>[])
        .filter((c) => c.spec.storageClassName === "do-block-storage")
        .map((c) => ({
          uid: c.metadata.uid,
          name: c.metadata.name,
          namespace: c.metadata.namespace,
          sizeGiB: Number.parseInt(String(c.spec.resources.requests.storage), 10),
        })),
    stop: async () => {
      standIn?.stop();
      await server.stop();
    },
  };
}
