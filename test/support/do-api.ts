// A STAND-IN for the DigitalOcean API on 127.0.0.1 — not DigitalOcean. The provider honours
// DIGITALOCEAN_API_URL. It serves the part of the v2 API the `do` stack and the `digitalocean` provider call,
// in the API's own shapes (godo v1.243.0's request and response types), and records every request so a test
// can prove what was asked, with which credential:
//   - the engine stage's preview: GET /v2/kubernetes/options only;
//   - the convergence run: Kubernetes clusters (create → `provisioning`, `running` once its cluster is up;
//     get, list, update, delete, delete with associated resources), node pools, a cluster's kubeconfig and
//     credentials, registry integration, the container registry and its Docker credentials, volumes.
// A cluster is whatever `startCluster` makes (the convergence stage: a local control plane with KWOK nodes,
// test/converge/doks.ts); without it, cluster creation is refused. Unknown paths answer 404 in the API's
// error shape, so a new call shows up in the records and the provider's error.
import { createHash, randomUUID } from "crypto";
import { createServer, IncomingMessage, Server, ServerResponse } from "http";
import { AddressInfo } from "net";
import { stringify } from "yaml";

/** One request the stand-in received. */
export interface RecordedRequest {
  /** HTTP method. */
  readonly method: string;
  /** Path with query string. */
  readonly url: string;
  /** The Authorization header as sent. */
  readonly authorization?: string;
  /** The JSON body, if any (the provider's requests carry no secrets; responses are not recorded). */
  readonly body?: unknown;
  /** HTTP status the stand-in answered with. */
  status?: number;
}

/** A node pool's nodes, for the cluster behind a DOKS cluster. */
export interface PoolNodes {
  readonly id: string;
  readonly name: string;
  readonly size: string;
}

/** The cluster behind one DOKS cluster of the stand-in. */
export interface ClusterBackend {
  /** https://127.0.0.1:<port> */
  readonly endpoint: string;
  /** The cluster CA certificate (PEM). */
  readonly ca: string;
  /** A new cluster-scoped bearer token valid for `seconds`. */
  mintToken(seconds: number): Promise<string>;
  /** Adds nodes named `names` to `pool` (the pool grew). */
  addNodes(pool: PoolNodes, region: string, names: readonly string[]): Promise<void>;
  /** The cluster's claims of the do-block-storage class: what DigitalOcean's CSI driver makes volumes for. */
  claims(): Promise<{ uid: string; name: string; namespace: string; sizeGiB: number }[]>;
  stop(): Promise<void>;
}

/** Starts the cluster behind a new DOKS cluster. */
export type StartCluster = (cluster: {
  readonly id: string;
  readonly region: string;
  readonly pools: readonly { readonly pool: PoolNodes; readonly names: readonly string[] }[];
}) => Promise<ClusterBackend>;

/** A volume as the stand-in holds it (godo's Volume). */
export interface VolumeRecord {
  readonly id: string;
  readonly name: string;
  readonly tags: string[];
  readonly size_gigabytes: number;
}

/** A running stand-in. */
export interface DoApiStandIn {
  /** http://127.0.0.1:<port>, for DIGITALOCEAN_API_URL. */
  readonly url: string;
  /** Every request so far, in order. */
  readonly requests: RecordedRequest[];
  /** Volumes that exist now (DOKS's CSI driver made them for the clusters' claims). */
  readonly volumes: Map<string, VolumeRecord>;
  /** sha256 of every registry login (`auth`) handed out by docker-credentials: a push's login can be traced to one. */
  readonly registryLogins: Set<string>;
  /** Every cluster ever created, by id, with its state now. */
  readonly clusters: Map<string, { readonly name: string; state: string; backend?: ClusterBackend }>;
  /** Stops the server and every cluster still running. */
  close(): Promise<void>;
}

/** Kubernetes versions the stand-in offers, newest first, as DOKS lists them. */
export const doKubernetesVersions = ["1.35.1-do.0", "1.34.4-do.1", "1.33.8-do.2"];

// GET /v2/kubernetes/options: what `getKubernetesVersions` reads (godo's KubernetesOptions).
const kubernetesOptions = {
  options: {
    versions: doKubernetesVersions.map((slug) => ({
      slug,
      kubernetes_version: slug.replace(/-do\.\d+$/, ""),
      supported_features: ["cluster-autoscaler"],
    })),
    regions: [{ name: "Amsterdam 3", slug: "ams3" }],
    sizes: [{ name: "s-4vcpu-8gb", slug: "s-4vcpu-8gb" }],
  },
};

/** How long the credentials DOKS issues live unless `expiry_seconds` says otherwise: 7 days. */
const defaultExpirySeconds = 7 * 24 * 3600;

type Json = Record<string, any>;

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly id: string,
    message: string,
  ) {
    super(message);
  }
}

interface StoredCluster {
  json: Json;
  backend?: ClusterBackend;
  starting?: Promise<void>;
}

/**
 * Starts the stand-in on a free 127.0.0.1 port. With `token`, every request must carry it
 * (`Authorization: Bearer <token>`), as the API requires; with `startCluster`, clusters can be created.
 */
export async function startDoApi(
  options: { token?: string; startCluster?: StartCluster; log?: (line: string) => void } = {},
): Promise<DoApiStandIn> {
  const requests: RecordedRequest[] = [];
  const clusters = new Map<string, StoredCluster>();
  const volumes = new Map<string, VolumeRecord>();
  const registryIntegration = new Set<string>();
  const registries = new Map<string, { json: Json; tier: string }>();
  const registryLogins = new Set<string>();
  const log = options.log ?? (() => undefined);
  const now = () => new Date().toISOString();

  const clusterOf = (id: string): StoredCluster => {
    const c = clusters.get(id);
    if (!c || c.json.status.state === "deleted")
      throw new HttpError(404, "not_found", "The resource you were accessing could not be found.");
    return c;
  };
  const poolOf = (c: StoredCluster, id: string): Json => {
    const p = (c.json.node_pools as Json[]).find((x) => x.id === id);
    if (!p) throw new HttpError(404, "not_found", "The resource you were accessing could not be found.");
    return p;
  };
  const nodes = (names: readonly string[], state: string): Json[] =>
    names.map((name) => ({
      id: randomUUID(),
      name,
      status: { state },
      droplet_id: String(Math.floor(1e8 + Math.random() * 9e8)),
      created_at: now(),
      updated_at: now(),
    }));
  const newPool = (clusterId: string, req: Json, state: string): Json => {
    const count = req.auto_scale ? Math.max(req.count ?? 0, req.min_nodes ?? 0) : req.count;
    if (!req.name || !req.size || !(count > 0))
      throw new HttpError(422, "unprocessable_entity", "node pool: name, size and count are required");
    const name: string = req.name;
    return {
      id: randomUUID(),
      name,
      size: req.size,
      count,
      tags: [...new Set(["k8s", `k8s:${clusterId}`, "k8s:worker", ...(req.tags ?? [])])],
      labels: req.labels ?? {},
      taints: req.taints ?? [],
      auto_scale: !!req.auto_scale,
      min_nodes: req.min_nodes ?? 0,
      max_nodes: req.max_nodes ?? 0,
      nodes: nodes(nodeNames(name, count), state),
    };
  };

  /** The CSI driver's part: a volume per do-block-storage claim, tagged with the cluster, as DOKS makes them. */
  const syncVolumes = async (c: StoredCluster): Promise<void> => {
    if (!c.backend) return;
    for (const claim of await c.backend.claims()) {
      const id = claim.uid;
      if (volumes.has(id)) continue;
      volumes.set(id, { id, name: `pvc-${claim.uid}`, tags: [`k8s:${c.json.id}`], size_gigabytes: claim.sizeGiB });
      log(`volume pvc-${claim.uid} for claim ${claim.namespace}/${claim.name} of cluster ${c.json.id}`);
    }
  };
  const volumeTimer = setInterval(() => {
    for (const c of clusters.values()) if (c.json.status.state === "running") void syncVolumes(c).catch(() => undefined);
  }, 2000);

  const stopCluster = async (c: StoredCluster, withVolumes: boolean): Promise<void> => {
    await c.starting?.catch(() => undefined);
    await syncVolumes(c).catch(() => undefined);
    c.json.status = { state: "deleted", message: "" };
    if (withVolumes) for (const [id, v] of volumes) if (v.tags.includes(`k8s:${c.json.id}`)) volumes.delete(id);
    registryIntegration.delete(c.json.id);
    await c.backend?.stop();
    c.backend = undefined;
  };

  const credentials = async (c: StoredCluster, query: URLSearchParams): Promise<{ token: string; expiresAt: string }> => {
    if (!c.backend) throw new HttpError(404, "not_found", "the cluster is not running yet");
    const seconds = Number(query.get("expiry_seconds") || defaultExpirySeconds);
    return { token: await c.backend.mintToken(seconds), expiresAt: new Date(Date.now() + seconds * 1000).toISOString() };
  };

  /** Answers one request; throws HttpError for an API error. */
  const route = async (
    method: string,
    path: string,
    query: URLSearchParams,
    body: Json,
  ): Promise<{ status: number; body?: unknown; yaml?: string }> => {
    const m = (pattern: RegExp) => path.match(pattern);
    let p: RegExpMatchArray | null;
    if (method === "GET" && path === "/v2/kubernetes/options") return { status: 200, body: kubernetesOptions };

    if (path === "/v2/kubernetes/clusters") {
      if (method === "GET") {
        const list = [...clusters.values()].filter((c) => c.json.status.state !== "deleted").map((c) => c.json);
        return { status: 200, body: { kubernetes_clusters: list, links: {}, meta: { total: list.length } } };
      }
      if (method === "POST") {
        if (!options.startCluster) throw new HttpError(422, "unprocessable_entity", "this stand-in creates no clusters");
        if (!doKubernetesVersions.includes(body.version))
          throw new HttpError(422, "unprocessable_entity", `invalid version slug ${body.version}`);
        if ([...clusters.values()].some((c) => c.json.name === body.name && c.json.status.state !== "deleted"))
          throw new HttpError(409, "conflict", `a cluster named ${body.name} already exists`);
        const id = randomUUID();
        const pools = ((body.node_pools ?? []) as Json[]).map((r) => newPool(id, r, "provisioning"));
        if (pools.length === 0) throw new HttpError(422, "unprocessable_entity", "a cluster needs a node pool");
        const json: Json = {
          id,
          name: body.name,
          region: body.region,
          version: body.version,
          cluster_subnet: body.cluster_subnet || "10.244.0.0/16",
          service_subnet: body.service_subnet || "10.245.0.0/16",
          ipv4: "",
          endpoint: "",
          tags: [...new Set(["k8s", `k8s:${id}`, ...(body.tags ?? [])])],
          vpc_uuid: body.vpc_uuid || randomUUID(),
          ha: !!body.ha,
          node_pools: pools,
          maintenance_policy: body.maintenance_policy ?? { start_time: "00:00", duration: "4h0m0s", day: "any" },
          auto_upgrade: !!body.auto_upgrade,
          surge_upgrade: !!body.surge_upgrade,
          registry_enabled: false,
          status: { state: "provisioning", message: "provisioning" },
          created_at: now(),
          updated_at: now(),
        };
        const stored: StoredCluster = { json };
        clusters.set(id, stored);
        stored.starting = options
          .startCluster({
            id,
            region: body.region,
            pools: pools.map((x) => ({ pool: x as PoolNodes, names: (x.nodes as Json[]).map((n) => n.name) })),
          })
          .then((backend) => {
            stored.backend = backend;
            json.endpoint = backend.endpoint;
            json.ipv4 = "127.0.0.1";
            json.status = { state: "running", message: "" };
            for (const pool of json.node_pools as Json[]) for (const n of pool.nodes as Json[]) n.status = { state: "running" };
            json.updated_at = now();
            log(`cluster ${body.name} (${id}) running at ${backend.endpoint}`);
          })
          .catch((e: Error) => {
            json.status = { state: "error", message: e.message };
            log(`cluster ${body.name} (${id}) failed: ${e.message}`);
          });
        return { status: 201, body: { kubernetes_cluster: json } };
      }
    }
    if ((p = m(/^\/v2\/kubernetes\/clusters\/([^/]+)$/))) {
      const c = clusterOf(p[1]);
      if (method === "GET") return { status: 200, body: { kubernetes_cluster: c.json } };
      if (method === "PUT") {
        for (const key of ["name", "tags", "maintenance_policy", "auto_upgrade", "surge_upgrade", "ha"]) {
          if (body[key] === undefined || body[key] === null) continue;
          if (key === "ha" && c.json.ha && !body.ha) throw new HttpError(422, "unprocessable_entity", "HA cannot be turned off");
          c.json[key] = key === "tags" ? [...new Set(["k8s", `k8s:${c.json.id}`, ...body.tags])] : body[key];
        }
        c.json.updated_at = now();
        return { status: 202, body: { kubernetes_cluster: c.json } };
      }
      if (method === "DELETE") {
        await stopCluster(c, false);
        return { status: 204 };
      }
    }
    if ((p = m(/^\/v2\/kubernetes\/clusters\/([^/]+)\/destroy_with_associated_resources\/dangerous$/)) && method === "DELETE") {
      await stopCluster(clusterOf(p[1]), true);
      return { status: 204 };
    }
    if ((p = m(/^\/v2\/kubernetes\/clusters\/([^/]+)\/destroy_with_associated_resources$/)) && method === "GET") {
      const c = clusterOf(p[1]);
      await syncVolumes(c);
      const own = [...volumes.values()].filter((v) => v.tags.includes(`k8s:${c.json.id}`)).map((v) => ({ id: v.id, name: v.name }));
      return { status: 200, body: { load_balancers: [], volumes: own, volume_snapshots: [] } };
    }
    if ((p = m(/^\/v2\/kubernetes\/clusters\/([^/]+)\/kubeconfig$/)) && method === "GET") {
      const c = clusterOf(p[1]);
      const { token } = await credentials(c, query);
      const context = `do-${c.json.region}-${c.json.name}`;
      return {
        status: 200,
        yaml: stringify({
          apiVersion: "v1",
          kind: "Config",
          clusters: [
            {
              name: context,
              cluster: { server: c.json.endpoint, "certificate-authority-data": Buffer.from(c.backend!.ca).toString("base64") },
            },
          ],
          users: [{ name: `${context}-admin`, user: { token } }],
          contexts: [{ name: context, context: { cluster: context, user: `${context}-admin` } }],
          "current-context": context,
        }),
      };
    }
    if ((p = m(/^\/v2\/kubernetes\/clusters\/([^/]+)\/credentials$/)) && method === "GET") {
      const c = clusterOf(p[1]);
      const { token, expiresAt } = await credentials(c, query);
      return {
        status: 200,
        body: {
          server: c.json.endpoint,
          certificate_authority_data: Buffer.from(c.backend!.ca).toString("base64"),
          client_certificate_data: null,
          client_key_data: null,
          token,
          expires_at: expiresAt,
        },
      };
    }
    if ((p = m(/^\/v2\/kubernetes\/clusters\/([^/]+)\/upgrades$/)) && method === "GET") {
      clusterOf(p[1]);
      return { status: 200, body: { available_upgrade_versions: null } };
    }
    if ((p = m(/^\/v2\/kubernetes\/clusters\/([^/]+)\/node_pools$/))) {
      const c = clusterOf(p[1]);
      if (method === "GET") return { status: 200, body: { node_pools: c.json.node_pools } };
    }
    if ((p = m(/^\/v2\/kubernetes\/clusters\/([^/]+)\/node_pools\/([^/]+)$/))) {
      const c = clusterOf(p[1]);
      const pool = poolOf(c, p[2]);
      if (method === "GET") return { status: 200, body: { node_pool: pool } };
      if (method === "PUT") {
        for (const key of ["name", "tags", "labels", "taints", "auto_scale", "min_nodes", "max_nodes"]) {
          if (body[key] !== undefined && body[key] !== null)
            pool[key] = key === "tags" ? [...new Set(["k8s", `k8s:${c.json.id}`, "k8s:worker", ...body.tags])] : body[key];
        }
        let count: number = body.count ?? pool.count;
        // The cluster autoscaler keeps an autoscaled pool within its bounds.
        if (pool.auto_scale) count = Math.min(Math.max(count, pool.min_nodes), pool.max_nodes || count);
        if (count < pool.count) throw new HttpError(422, "unprocessable_entity", "this stand-in does not shrink node pools");
        if (count > pool.count) {
          const names = nodeNames(pool.name, count - pool.count);
          await c.backend?.addNodes(pool as PoolNodes, c.json.region, names);
          pool.nodes.push(...nodes(names, "running"));
          log(`node pool ${pool.name} of ${c.json.name}: ${pool.count} -> ${count} nodes`);
          pool.count = count;
        }
        return { status: 202, body: { node_pool: pool } };
      }
    }
    if (path === "/v2/kubernetes/registry" && (method === "POST" || method === "DELETE")) {
      if (method === "POST" && registries.size === 0)
        throw new HttpError(412, "precondition_failed", "the account has no container registry");
      for (const id of (body.cluster_uuids ?? []) as string[]) {
        const c = clusterOf(id);
        c.json.registry_enabled = method === "POST";
        if (method === "POST") registryIntegration.add(id);
        else registryIntegration.delete(id);
      }
      return { status: 204 };
    }

    // The account's container registries: the older single-registry paths (/v2/registry) and the newer
    // ones by name (/v2/registries/{name}), which the provider reads.
    if ((path === "/v2/registry" || path === "/v2/registries") && method === "POST") {
      if (!body.name) throw new HttpError(422, "unprocessable_entity", "name is required");
      if (registries.has(body.name)) throw new HttpError(409, "conflict", `registry ${body.name} already exists`);
      const registry = {
        uuid: randomUUID(),
        name: body.name,
        created_at: now(),
        region: body.region || "fra1",
        storage_usage_bytes: 0,
        storage_usage_bytes_updated_at: now(),
      };
      registries.set(body.name, { json: registry, tier: body.subscription_tier_slug ?? "basic" });
      return { status: 201, body: { registry } };
    }
    if ((path === "/v2/registry/subscription" || path === "/v2/registries/subscription") && method === "GET") {
      const registry = [...registries.values()][0];
      if (!registry) throw new HttpError(404, "not_found", "no subscription");
      const tier = registry.tier;
      return {
        status: 200,
        body: {
          subscription: {
            tier: { name: tier, slug: tier, included_repositories: 5, included_storage_bytes: 5368709120 },
            created_at: registry.json.created_at,
            updated_at: registry.json.created_at,
          },
        },
      };
    }

    if (path === "/v2/registries" && method === "GET")
      return { status: 200, body: { registries: [...registries.values()].map((r) => r.json) } };
    const registryPath =
      path.match(/^\/v2\/registries\/([^/]+)(\/docker-credentials)?$/) ?? path.match(/^\/v2\/registry(\/docker-credentials)?$/);
    if (registryPath) {
      const byName = path.startsWith("/v2/registries/");
      const name = byName ? registryPath[1] : [...registries.keys()][0];
      const registry = name === undefined ? undefined : registries.get(name);
      if (!registry) throw new HttpError(404, "not_found", "registry not found");
      const credentials = byName ? registryPath[2] : registryPath[1];
      if (credentials && method === "GET") {
        // A registry-scoped credential, never the account token: a fresh random secret per call.
        const secret = `registry-${randomUUID()}`;
        const auth = Buffer.from(`${secret}:${secret}`).toString("base64");
        registryLogins.add(createHash("sha256").update(auth).digest("hex"));
        return { status: 200, body: { auths: { "registry.digitalocean.com": { auth } } } };
      }
      if (!credentials && method === "GET") return { status: 200, body: { registry: registry.json } };
      if (!credentials && method === "DELETE") {
        registries.delete(registry.json.name);
        return { status: 204 };
      }
    }
    if (path === "/v2/volumes" && method === "GET") {
      const tag = query.get("tag_name");
      const list = [...volumes.values()].filter((v) => !tag || v.tags.includes(tag)).map(volumeJson);
      return { status: 200, body: { volumes: list, links: {}, meta: { total: list.length } } };
    }
    if ((p = m(/^\/v2\/volumes\/([^/]+)$/))) {
      const v = volumes.get(p[1]);
      if (!v) throw new HttpError(404, "not_found", "The resource you were accessing could not be found.");
      if (method === "GET") return { status: 200, body: { volume: volumeJson(v) } };
      if (method === "DELETE") {
        volumes.delete(v.id);
        return { status: 204 };
      }
    }
    throw new HttpError(404, "not_found", `the stand-in does not serve ${method} ${path}`);
  };

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let text = "";
    req.on("data", (c: Buffer) => {
      text += c.toString();
    });
    req.on("end", () => {
      let body: Json;
      try {
        body = text ? JSON.parse(text) : {};
      } catch {
        body = { unparsed: text };
      }
      const record: RecordedRequest = {
        method: req.method ?? "",
        url: req.url ?? "",
        authorization: req.headers.authorization,
        ...(text ? { body } : {}),
      };
      requests.push(record);
      const url = new URL(req.url ?? "/", "http://stand-in");
      const answer = (status: number, payload?: unknown, yaml?: string) => {
        record.status = status;
        if (status !== 200 && status !== 201 && status !== 202 && status !== 204)
          log(`${status} ${req.method} ${req.url}: ${JSON.stringify(payload)}`);
        if (yaml !== undefined) {
          res.writeHead(status, { "content-type": "application/yaml" });
          res.end(yaml);
        } else if (payload === undefined) {
          res.writeHead(status);
          res.end();
        } else {
          res.writeHead(status, { "content-type": "application/json" });
          res.end(JSON.stringify(payload));
        }
      };
      if (options.token && req.headers.authorization !== `Bearer ${options.token}`) {
        answer(401, { id: "Unauthorized", message: "Unable to authenticate you" });
        return;
      }
      route(req.method ?? "", url.pathname, url.searchParams, body).then(
        (r) => answer(r.status, r.body, r.yaml),
        (e: Error) =>
          e instanceof HttpError
            ? answer(e.status, { id: e.id, message: e.message })
            : answer(500, { id: "server_error", message: e.message }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const view = new Map<string, { readonly name: string; state: string; backend?: ClusterBackend }>();
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    volumes,
    registryLogins,
    get clusters() {
      view.clear();
      for (const [id, c] of clusters) view.set(id, { name: c.json.name, state: c.json.status.state, backend: c.backend });
      return view;
    },
    close: async () => {
      clearInterval(volumeTimer);
      await Promise.all([...clusters.values()].map((c) => c.starting?.then(() => c.backend?.stop()).catch(() => undefined)));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** godo's Volume shape. */
const volumeJson = (v: VolumeRecord) => ({
  id: v.id,
  name: v.name,
  size_gigabytes: v.size_gigabytes,
  description: "",
  droplet_ids: [],
  region: { slug: "ams3", name: "Amsterdam 3" },
  created_at: new Date().toISOString(),
  filesystem_type: "ext4",
  tags: v.tags,
});

/** Node names as DOKS makes them: `<pool name>-<5 random characters>`. */
export function nodeNames(pool: string, count: number): string[] {
  return Array.from({ length: count }, () => `${pool}-${randomUUID().replace(/-/g, "").slice(0, 5)}`);
}
