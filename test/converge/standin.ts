// CONTROLLER STAND-IN — not Flux, not Strimzi. The Flux controllers that the real `flux install`
// deploys run as kwok fake pods (no container runs), and the Strimzi operator cannot be had here, so
// this loop does what their reconcilers would:
//   - Flux sources and HelmReleases: real Helm installs the real upstream charts (./helm-releases.ts says
//     how that differs from helm-controller); the operators' CRDs come from their charts;
//   - KafkaNodePool: Ready once the Strimzi release is Ready (Strimzi's operator is a fake pod here); with
//     persistent-claim storage, one PersistentVolumeClaim per replica first, as Strimzi makes them (owned
//     by the pool only with deleteClaim, so they outlive it otherwise); no pod ever mounts them;
//   - Kafka: Ready once the Strimzi release and every node pool labelled for it are Ready, after
//     making the bootstrap Service and the cluster CA Secret (owned by the Kafka, as Strimzi's are);
//   - KafkaTopic, KafkaUser: Ready once their Kafka is Ready; a KafkaUser gets its Secret.
// No broker runs: the Service leads nowhere and the CA/password are throwaway values. KEDA's and the
// Prometheus operator's pods are fake too: no ScaledObject or PodMonitor is acted on. So KEDA's metrics
// API server never answers, and an aggregated API that never answers blocks every namespace deletion
// (NamespaceDeletionDiscoveryFailure); the stand-in removes such an APIService once it has failed for
// a while, where on a real cluster it would become Available.
import { randomBytes } from "crypto";
import { request } from "https";
import { ApiServer } from "../support/apiserver";
import { Api, HelmReleases } from "./helm-releases";

type Obj = Record<string, any>;

interface Kind {
  readonly group: string;
  readonly version: string;
  readonly plural: string;
}
const strimzi = (plural: string): Kind => ({ group: "kafka.strimzi.io", version: "v1", plural });
const kafkaKind = strimzi("kafkas");
const nodePoolKind = strimzi("kafkanodepools");
const topicKind = strimzi("kafkatopics");
const userKind = strimzi("kafkausers");
const clusterLabel = "strimzi.io/cluster";

/** Stops the loop. */
export interface StandIn {
  stop(): void;
}

/** Starts the loop against `server`; `helm` is the Helm CLI that installs the charts. */
export function startStandIn(server: ApiServer, helm: string, log: (line: string) => void): StandIn {
  const call = (method: string, path: string, body?: unknown, contentType = "application/json") =>
    new Promise<{ status: number; body: Obj }>((resolve, reject) => {
      const req = request(
        `${server.url}${path}`,
        {
          method,
          ca: server.tls.ca,
          cert: server.tls.cert,
          key: server.tls.key,
          headers: body === undefined ? {} : { "content-type": contentType },
        },
        (res) => {
          let text = "";
          res.on("data", (c: Buffer) => {
            text += c.toString();
          });
          res.on("end", () => {
            let parsed: Obj;
            try {
              parsed = JSON.parse(text);
            } catch {
              parsed = { text };
            }
            resolve({ status: res.statusCode ?? 0, body: parsed });
          });
        },
      );
      req.on("error", reject);
      req.end(body === undefined ? undefined : JSON.stringify(body));
    });

  const list = async (kind: Kind): Promise<Obj[]> => {
    const res = await call("GET", `/apis/${kind.group}/${kind.version}/${kind.plural}`);
    // 404: the CRD is not installed yet (Flux not installed, Strimzi's chart not installed).
    return res.status === 200 ? (res.body.items as Obj[]) : [];
  };
  const ready = (o: Obj | undefined): boolean =>
    !!o &&
    o.status?.observedGeneration === o.metadata.generation &&
    (o.status?.conditions ?? []).some((c: Obj) => c.type === "Ready" && c.status === "True");
  const objectPath = (kind: Kind, o: Obj) =>
    `/apis/${kind.group}/${kind.version}/namespaces/${o.metadata.namespace}/${kind.plural}/${o.metadata.name}`;
  const setReady = async (kind: Kind, o: Obj, isReady: boolean, reason: string, message: string, status: Obj = {}): Promise<void> => {
    const generation = o.metadata.generation;
    const condition = { type: "Ready", status: isReady ? "True" : "False", reason, observedGeneration: generation, message };
    const previous = (o.status?.conditions ?? []).find((c: Obj) => c.type === "Ready");
    const transition = previous?.status === condition.status ? previous.lastTransitionTime : new Date().toISOString();
    const res = await call(
      "PATCH",
      `${objectPath(kind, o)}/status`,
      { status: { ...status, observedGeneration: generation, conditions: [{ ...condition, lastTransitionTime: transition }] } },
      "application/merge-patch+json",
    );
    if (res.status !== 200)
      throw new Error(`setting ${kind.plural} ${o.metadata.name} Ready=${isReady}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
    log(
      `${kind.plural} ${o.metadata.namespace}/${o.metadata.name} generation ${generation}: Ready=${isReady} (${reason}) ${isReady ? "" : message}`,
    );
  };
  const markReady = (kind: Kind, o: Obj, status: Obj = {}) =>
    setReady(kind, o, true, "StandIn", "marked Ready by the convergence stage's controller stand-in", status);
  const api: Api = {
    list: (group, version, plural) => list({ group, version, plural }),
    setReady: (group, version, plural, o, isReady, reason, message, status) =>
      setReady({ group, version, plural }, o, isReady, reason, message, status),
    patch: async (group, version, plural, o, patch) => {
      const res = await call("PATCH", objectPath({ group, version, plural }, o), patch, "application/merge-patch+json");
      if (res.status !== 200) throw new Error(`patching ${plural} ${o.metadata.name}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
    },
  };
  const releases = new HelmReleases(server, helm, api, log);
  const create = async (path: string, object: Obj): Promise<void> => {
    const res = await call("POST", path, object);
    if (res.status !== 201 && res.status !== 409)
      throw new Error(`creating ${path} ${object.metadata.name}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
    if (res.status === 201) log(`created ${object.kind} ${object.metadata.namespace}/${object.metadata.name}`);
  };
  const ownedBy = (o: Obj) => [{ apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name, uid: o.metadata.uid, controller: true }];
  const b64 = (s: string) => Buffer.from(s).toString("base64");

  const unavailableSince = new Map<string, number>();
  const removeDeadAggregatedApis = async (): Promise<void> => {
    const services = ((await call("GET", "/apis/apiregistration.k8s.io/v1/apiservices")).body.items ?? []) as Obj[];
    for (const api of services.filter((a) => a.spec.service)) {
      const available = (api.status?.conditions ?? []).some((c: Obj) => c.type === "Available" && c.status === "True");
      const since = unavailableSince.get(api.metadata.name) ?? Date.now();
      unavailableSince.set(api.metadata.name, since);
      if (available || Date.now() - since < 5000) continue;
      await call("DELETE", `/apis/apiregistration.k8s.io/v1/apiservices/${api.metadata.name}`);
      unavailableSince.delete(api.metadata.name);
      log(`removed APIService ${api.metadata.name}: its server is a fake pod and never answers`);
    }
  };

  const tick = async (): Promise<void> => {
    await releases.tick();
    await removeDeadAggregatedApis();
    // Strimzi acts once its operator runs: the chart's Deployment rolled out (as a fake pod).
    const operators = await call("GET", "/apis/apps/v1/deployments?fieldSelector=metadata.name%3Dstrimzi-cluster-operator");
    const strimziReady = ((operators.body.items ?? []) as Obj[]).some(
      (d) => d.spec.replicas > 0 && d.status?.availableReplicas === d.spec.replicas,
    );
    if (!strimziReady) return;

    const pools = await list(nodePoolKind);
    for (const pool of pools.filter((p) => !ready(p))) {
      const storage = pool.spec.storage ?? {};
      if (storage.type === "persistent-claim") {
        const { namespace } = pool.metadata;
        for (let i = 0; i < pool.spec.replicas; i++) {
          await create(`/api/v1/namespaces/${namespace}/persistentvolumeclaims`, {
            apiVersion: "v1",
            kind: "PersistentVolumeClaim",
            metadata: {
              // Strimzi's name for a single volume: data-<cluster>-<pool>-<node id>; ids here count per pool.
              name: `data-${pool.metadata.labels?.[clusterLabel]}-${pool.metadata.name}-${i}`,
              namespace,
              labels: { [clusterLabel]: pool.metadata.labels?.[clusterLabel] },
              ...(storage.deleteClaim ? { ownerReferences: ownedBy(pool) } : {}),
            },
            spec: {
              accessModes: ["ReadWriteOnce"],
              storageClassName: storage.class,
              resources: { requests: { storage: storage.size } },
            },
          });
        }
      }
      await markReady(nodePoolKind, pool, { replicas: pool.spec.replicas, roles: pool.spec.roles });
    }
    const kafkas = await list(kafkaKind);
    for (const kafka of kafkas.filter((k) => !ready(k))) {
      const { name, namespace } = kafka.metadata;
      const own = pools.filter((p) => p.metadata.namespace === namespace && p.metadata.labels?.[clusterLabel] === name);
      if (own.length === 0 || !own.every(ready)) continue;
      const listeners: Obj[] = kafka.spec.kafka.listeners ?? [];
      const bootstrap = `${name}-kafka-bootstrap`;
      await create(`/api/v1/namespaces/${namespace}/services`, {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: bootstrap, namespace, labels: { [clusterLabel]: name }, ownerReferences: ownedBy(kafka) },
        spec: {
          selector: { [clusterLabel]: name, "strimzi.io/broker-role": "true" },
          ports: listeners.map((l) => ({ name: `tcp-${l.name}`, port: l.port, targetPort: l.port })),
        },
      });
      await create(`/api/v1/namespaces/${namespace}/secrets`, {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: `${name}-cluster-ca-cert`, namespace, labels: { [clusterLabel]: name }, ownerReferences: ownedBy(kafka) },
        // A stand-in value: the control plane's own CA certificate (public), not a Kafka CA.
        data: { "ca.crt": b64(server.tls.ca) },
      });
      await markReady(kafkaKind, kafka, {
        kafkaVersion: kafka.spec.kafka.version,
        clusterId: `stand-in-${kafka.metadata.uid}`,
        listeners: listeners.map((l) => ({
          name: l.name,
          bootstrapServers: `${bootstrap}.${namespace}.svc:${l.port}`,
          addresses: [{ host: `${bootstrap}.${namespace}.svc`, port: l.port }],
        })),
      });
    }
    const kafkaOf = (o: Obj) =>
      kafkas.find((k) => k.metadata.namespace === o.metadata.namespace && k.metadata.name === o.metadata.labels?.[clusterLabel]);
    for (const topic of (await list(topicKind)).filter((t) => !ready(t) && ready(kafkaOf(t)))) {
      await markReady(topicKind, topic, { topicName: topic.spec.topicName ?? topic.metadata.name });
    }
    for (const user of (await list(userKind)).filter((u) => !ready(u) && ready(kafkaOf(u)))) {
      const { name, namespace } = user.metadata;
      const password = randomBytes(18).toString("base64url");
      await create(`/api/v1/namespaces/${namespace}/secrets`, {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name, namespace, labels: { [clusterLabel]: kafkaOf(user)!.metadata.name }, ownerReferences: ownedBy(user) },
        data: {
          password: b64(password),
          "sasl.jaas.config": b64(
            `org.apache.kafka.common.security.scram.ScramLoginModule required username="${name}" password="${password}";`,
          ),
        },
      });
      await markReady(userKind, user, { username: name, secret: name });
    }
  };

  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let lastError = "";
  const loop = async () => {
    try {
      await tick();
      lastError = "";
    } catch (e) {
      // Logged once until it changes: a tick retries every 250 ms.
      if ((e as Error).message !== lastError) log(`error (retrying): ${(e as Error).message}`);
      lastError = (e as Error).message;
    }
    if (!stopped) timer = setTimeout(loop, 250);
  };
  void loop();
  return {
    stop: () => {
      stopped = true;
      clearTimeout(timer);
      releases.dispose();
    },
  };
}
