// CONTROLLER STAND-IN — not Flux, not Strimzi. The Flux controllers that the real `flux install`
// deploys run as kwok fake pods (no container runs), and the Strimzi operator cannot be had here, so
// this loop does, in outline, what their reconcilers would report and create:
//   - OCIRepository, HelmRepository: Ready (as if the chart were fetched);
//   - HelmRelease: Ready once its source (chartRef, or chart.spec.sourceRef) is Ready; for the Strimzi
//     and KEDA charts it first installs their CRDs from $KAFKA_K8S_CRD_DIR, as helm-controller would
//     from the chart (KEDA's operator itself does not run: no ScaledObject is acted on);
//   - KafkaNodePool: Ready once the Strimzi release is Ready;
//   - Kafka: Ready once the Strimzi release and every node pool labelled for it are Ready, after
//     making the bootstrap Service and the cluster CA Secret (owned by the Kafka, as Strimzi's are);
//   - KafkaTopic, KafkaUser: Ready once their Kafka is Ready; a KafkaUser gets its Secret.
// No broker runs: the Service leads nowhere and the CA/password are throwaway values.
import { randomBytes } from "crypto";
import { request } from "https";
import { ApiServer, installCrds } from "../support/apiserver";

type Obj = Record<string, any>;

interface Kind {
  readonly group: string;
  readonly version: string;
  readonly plural: string;
}
const ociRepository: Kind = { group: "source.toolkit.fluxcd.io", version: "v1", plural: "ocirepositories" };
const helmRepository: Kind = { group: "source.toolkit.fluxcd.io", version: "v1", plural: "helmrepositories" };
/** The API group of the CRDs each chart brings, recognised by the chart's name. */
const chartCrdGroups: [RegExp, string][] = [
  [/strimzi-kafka-operator/, "kafka.strimzi.io"],
  [/^keda$/, "keda.sh"],
];
const helmRelease: Kind = { group: "helm.toolkit.fluxcd.io", version: "v2", plural: "helmreleases" };
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

export function startStandIn(server: ApiServer, log: (line: string) => void): StandIn {
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
    // 404: the CRD is not installed yet (Flux not installed, Strimzi release not Ready).
    return res.status === 200 ? (res.body.items as Obj[]) : [];
  };
  const ready = (o: Obj | undefined): boolean =>
    !!o &&
    o.status?.observedGeneration === o.metadata.generation &&
    (o.status?.conditions ?? []).some((c: Obj) => c.type === "Ready" && c.status === "True");
  const markReady = async (kind: Kind, o: Obj, status: Obj = {}): Promise<void> => {
    const generation = o.metadata.generation;
    const path = `/apis/${kind.group}/${kind.version}/namespaces/${o.metadata.namespace}/${kind.plural}/${o.metadata.name}/status`;
    const res = await call(
      "PATCH",
      path,
      {
        status: {
          ...status,
          observedGeneration: generation,
          conditions: [
            {
              type: "Ready",
              status: "True",
              reason: "StandIn",
              observedGeneration: generation,
              message: "marked Ready by the convergence stage's controller stand-in",
              lastTransitionTime: new Date().toISOString(),
            },
          ],
        },
      },
      "application/merge-patch+json",
    );
    if (res.status !== 200)
      throw new Error(`marking ${kind.plural} ${o.metadata.name} Ready: HTTP ${res.status} ${JSON.stringify(res.body)}`);
    log(`${kind.plural} ${o.metadata.namespace}/${o.metadata.name} generation ${generation}: Ready`);
  };
  const create = async (path: string, object: Obj): Promise<void> => {
    const res = await call("POST", path, object);
    if (res.status !== 201 && res.status !== 409)
      throw new Error(`creating ${path} ${object.metadata.name}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
    if (res.status === 201) log(`created ${object.kind} ${object.metadata.namespace}/${object.metadata.name}`);
  };
  const ownedBy = (o: Obj) => [{ apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name, uid: o.metadata.uid, controller: true }];
  const b64 = (s: string) => Buffer.from(s).toString("base64");

  const installed = new Set<string>();
  const isStrimziChart = (chart: string) => /strimzi-kafka-operator/.test(chart);

  const tick = async (): Promise<void> => {
    const sources: { kind: string; object: Obj }[] = [];
    for (const [kind, plural] of [
      ["OCIRepository", ociRepository],
      ["HelmRepository", helmRepository],
    ] as const) {
      for (const repo of await list(plural)) {
        if (!ready(repo)) await markReady(plural, repo, { url: repo.spec.url });
        sources.push({ kind, object: repo });
      }
    }

    let strimziReady = false;
    for (const release of await list(helmRelease)) {
      // chartRef names an OCIRepository (the chart is its URL); chart.spec names the chart and its repository.
      const ref = release.spec.chartRef ?? release.spec.chart?.spec?.sourceRef ?? {};
      const source = sources.find(
        (s) =>
          s.kind === ref.kind &&
          s.object.metadata.name === ref.name &&
          s.object.metadata.namespace === (ref.namespace ?? release.metadata.namespace),
      )?.object;
      const chart = release.spec.chart?.spec?.chart ?? source?.spec?.url ?? "";
      if (ready(release)) {
        strimziReady ||= isStrimziChart(chart);
        continue;
      }
      if (!ready(source)) continue;
      const group = chartCrdGroups.find(([pattern]) => pattern.test(chart.split("/").pop() ?? ""))?.[1];
      if (group && !installed.has(group)) {
        const names = await installCrds(server, (crd) => crd.group === group);
        installed.add(group);
        log(`installed the ${group} CRDs from the CRD directory: ${names.join(", ")}`);
      }
      await markReady(helmRelease, release);
    }
    if (!strimziReady) return;

    const pools = await list(nodePoolKind);
    for (const pool of pools.filter((p) => !ready(p))) {
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
  const loop = async () => {
    try {
      await tick();
    } catch (e) {
      log(`error (retrying): ${(e as Error).message}`);
    }
    if (!stopped) timer = setTimeout(loop, 250);
  };
  void loop();
  return {
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
