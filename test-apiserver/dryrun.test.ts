// Sends every Kubernetes object the real program declares (mocked `pulumi up` of each committed stack)
// to a real kube-apiserver with the upstream CRDs, as server-side apply dry-runs with strict field
// validation: CEL rules, structural schemas, built-in validation and admission all run for real.
// Then breaks copies of those same objects and checks the server rejects each with its own message.
import { strict as assert } from "assert";
import { ApiServer, buildTools, installCrds, KubectlResult, startApiServer } from "../test/support/apiserver";
import { kubernetesObjects, runProgram, StackName } from "../test/support/program";

type KubeObject = Record<string, any>;

const stacks: readonly StackName[] = ["dev", "do"];

/** A deliberately broken copy of one of the program's objects, and how the server must reject it. */
interface BrokenVariant {
  /** What is wrong, in words. */
  readonly title: string;
  /** Stack whose object is copied. */
  readonly stack: StackName;
  /** Kind of the object to copy. */
  readonly kind: string;
  /** metadata.name of the object to copy; the first of its kind when omitted. */
  readonly name?: string;
  /** Breaks the (already deep-cloned) copy in place. */
  readonly breakIt: (object: KubeObject) => void;
  /** Must match the server's rejection message. */
  readonly rejection: RegExp;
}

const firstContainer = (deployment: KubeObject): KubeObject => deployment.spec.template.spec.containers[0];

const variants: readonly BrokenVariant[] = [
  {
    title: "HelmRelease with both chart and chartRef (Flux CEL rule)",
    stack: "dev",
    kind: "HelmRelease",
    name: "strimzi-operator",
    breakIt: (o) => {
      o.spec.chart = {
        spec: { chart: "strimzi-kafka-operator", version: "1.2.0", sourceRef: { kind: "HelmRepository", name: "strimzi" } },
      };
    },
    rejection: /either chart or chartRef must be set/,
  },
  {
    title: "Deployment whose selector does not match its template labels",
    stack: "dev",
    kind: "Deployment",
    breakIt: (o) => {
      o.spec.selector.matchLabels = { "app.kubernetes.io/name": "not-the-sample-app" };
    },
    rejection: /`selector` does not match template `labels`/,
  },
  {
    title: "KafkaNodePool without storage",
    stack: "do",
    kind: "KafkaNodePool",
    name: "brokers",
    breakIt: (o) => {
      delete o.spec.storage;
    },
    rejection: /spec\.storage: Required value/,
  },
  {
    title: "Kafka with a field its CRD does not declare (rejected, not silently pruned)",
    stack: "do",
    kind: "Kafka",
    breakIt: (o) => {
      o.spec.kafka.replicaCount = 3;
    },
    rejection: /\.spec\.kafka\.replicaCount: field not declared in schema/,
  },
  {
    title: "Deployment with a memory limit that is not a quantity",
    stack: "do",
    kind: "Deployment",
    breakIt: (o) => {
      firstContainer(o).resources.limits.memory = "512 megs";
    },
    rejection: /quantities must match the regular expression/,
  },
  {
    title: "Service port out of range",
    stack: "dev",
    kind: "Service",
    breakIt: (o) => {
      o.spec.ports[0].port = 70000;
    },
    rejection: /spec\.ports\[0\]\.port: Invalid value: 70000: must be between 1 and 65535, inclusive/,
  },
  {
    title: "KafkaTopic with partitions as a string",
    stack: "do",
    kind: "KafkaTopic",
    breakIt: (o) => {
      o.spec.partitions = "twelve";
    },
    rejection: /\.spec\.partitions: expected numeric \(int or float\), got string/,
  },
  {
    title: "Namespace whose name is not a DNS label",
    stack: "dev",
    kind: "Namespace",
    name: "kafka",
    breakIt: (o) => {
      o.metadata.name = "Kafka_Apps";
    },
    rejection: /a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-'/,
  },
  {
    title: "KafkaNodePool with a role Strimzi does not know",
    stack: "do",
    kind: "KafkaNodePool",
    name: "controllers",
    breakIt: (o) => {
      o.spec.roles = ["worker"];
    },
    rejection: /spec\.roles\[0\]: Unsupported value: "worker": supported values: "controller", "broker"/,
  },
  {
    title: "OCIRepository whose URL is not oci://",
    stack: "do",
    kind: "OCIRepository",
    breakIt: (o) => {
      o.spec.url = "https://quay.io/strimzi-helm/strimzi-kafka-operator";
    },
    rejection: /spec\.url in body should match '\^oci:\/\/\.\*\$'/,
  },
  {
    title: "KafkaUser with an unsupported authentication type",
    stack: "do",
    kind: "KafkaUser",
    breakIt: (o) => {
      o.spec.authentication.type = "plain";
    },
    rejection: /spec\.authentication\.type: Unsupported value: "plain"/,
  },
  {
    title: "Kafka listener on a port Strimzi reserves (below 9092)",
    stack: "dev",
    kind: "Kafka",
    breakIt: (o) => {
      o.spec.kafka.listeners[0].port = 9091;
    },
    rejection: /spec\.kafka\.listeners\[0\]\.port in body should be greater than or equal to 9092/,
  },
  {
    title: "Deployment container running as a negative UID",
    stack: "do",
    kind: "Deployment",
    name: "sample-app-consumer",
    breakIt: (o) => {
      firstContainer(o).securityContext = { ...firstContainer(o).securityContext, runAsUser: -1 };
    },
    rejection: /runAsUser: Invalid value: -1: must be between 0 and 2147483647, inclusive/,
  },
  {
    title: "ScaledObject whose maximum is zero replicas",
    stack: "do",
    kind: "ScaledObject",
    breakIt: (o) => {
      o.spec.maxReplicaCount = 0;
    },
    rejection: /spec\.maxReplicaCount in body should be greater than or equal to 1/,
  },
  {
    title: "ScaledObject whose minimum exceeds its maximum (KEDA CEL rule, beyond a JSON-schema check)",
    stack: "dev",
    kind: "ScaledObject",
    breakIt: (o) => {
      o.spec.minReplicaCount = 5;
      o.spec.maxReplicaCount = 3;
    },
    rejection: /minReplicaCount must be less than or equal to maxReplicaCount/,
  },
  {
    title: "ScaledObject without triggers",
    stack: "dev",
    kind: "ScaledObject",
    breakIt: (o) => {
      delete o.spec.triggers;
    },
    rejection: /spec\.triggers: Required value/,
  },
  {
    title: "TriggerAuthentication reading a Secret without naming its key",
    stack: "do",
    kind: "TriggerAuthentication",
    breakIt: (o) => {
      delete o.spec.secretTargetRef[0].key;
    },
    rejection: /spec\.secretTargetRef\[0\]\.key: Required value/,
  },
  {
    title: "PodMonitor without a pod selector",
    stack: "do",
    kind: "PodMonitor",
    name: "kafka",
    breakIt: (o) => {
      delete o.spec.selector;
    },
    rejection: /spec\.selector: Required value/,
  },
  {
    title: "PodMonitor scraping with a scheme Prometheus does not speak",
    stack: "do",
    kind: "PodMonitor",
    name: "sample-app",
    breakIt: (o) => {
      o.spec.podMetricsEndpoints[0].scheme = "ftp";
    },
    rejection: /spec\.podMetricsEndpoints\[0\]\.scheme: Unsupported value: "ftp"/,
  },
];

const describeObject = (o: KubeObject) => `${o.kind} ${o.metadata?.namespace ? `${o.metadata.namespace}/` : ""}${o.metadata?.name}`;
// Some rejections list their causes on further lines; one line per object keeps the log readable.
const oneLine = (text: string) => text.trim().replace(/\s*\n\s*/g, " ");
const seconds = (since: number) => (Date.now() - since) / 1000;

describe("API server: every object of the program through a real kube-apiserver", function () {
  // A cold build of kube-apiserver takes 5-12 minutes on 2 shared cores; a reused one starts in seconds.
  this.timeout(30 * 60_000);

  let server: ApiServer | undefined;
  const objects = new Map<StackName, KubeObject[]>();
  const times: string[] = [];

  const api = (): ApiServer => {
    assert.ok(server, "the API server did not start (see the before-all hook's error)");
    return server;
  };
  const dryRunApply = (object: KubeObject): Promise<KubectlResult> =>
    api().kubectl(["apply", "--server-side", "--dry-run=server", "--validate=strict", "-f", "-"], JSON.stringify(object));

  before(async function () {
    for (const stack of stacks) objects.set(stack, kubernetesObjects(await runProgram(stack)));

    const tools = await buildTools();
    times.push(`tools ${tools.reused ? "reused from cache" : "built (cold)"}: ${tools.seconds.toFixed(1)} s`);
    server = await startApiServer(tools);
    times.push(`etcd + kube-apiserver start to /readyz: ${server.startSeconds.toFixed(1)} s`);

    let since = Date.now();
    const crds = await installCrds(server);
    times.push(`${crds.length} CRDs applied and Established: ${seconds(since).toFixed(1)} s`);

    // Namespaces are created for real, so the namespaced dry-runs below resolve: the program's own,
    // and any its objects live in without declaring (flux-system comes from `flux install`).
    since = Date.now();
    const all = [...objects.values()].flat();
    const declared = all.filter((o) => o.kind === "Namespace");
    const referenced = [...new Set(all.map((o) => o.metadata?.namespace).filter((n): n is string => !!n))]
      .filter((n) => !declared.some((d) => d.metadata.name === n))
      .map((name): KubeObject => ({ apiVersion: "v1", kind: "Namespace", metadata: { name } }));
    for (const ns of [...declared, ...referenced]) {
      const created = await api().kubectl(["apply", "--server-side", "--validate=strict", "-f", "-"], JSON.stringify(ns));
      console.log(
        `    ${describeObject(ns)}${referenced.includes(ns) ? " (not declared by the program)" : ""}: ${oneLine(created.stdout + created.stderr)}`,
      );
      assert.equal(created.code, 0, `creating ${describeObject(ns)}: ${created.stderr}`);
    }
    times.push(`namespaces created: ${seconds(since).toFixed(1)} s`);
  });

  after(async function () {
    await server?.stop();
    console.log("\n  API-server stage times:");
    for (const line of times) console.log(`    ${line}`);
  });

  for (const stack of stacks) {
    it(`accepts every Kubernetes object of stack ${stack} (server-side apply dry-run, strict)`, async function () {
      const declared = objects.get(stack) ?? [];
      // Guards against passing vacuously if the program stopped declaring what it exists for.
      for (const kind of [
        "Namespace",
        "HelmRelease",
        "HelmRepository",
        "Kafka",
        "KafkaNodePool",
        "KafkaTopic",
        "Deployment",
        "Service",
        "ScaledObject",
        ...(stack === "do" ? ["TriggerAuthentication", "PodMonitor", "ConfigMap"] : []),
      ]) {
        assert.ok(
          declared.some((o) => o.kind === kind),
          `stack ${stack} declares no ${kind}`,
        );
      }
      // Namespaces were created in before(); CRDs are installed; everything else follows in program order.
      const rest = declared.filter((o) => o.kind !== "Namespace");
      const since = Date.now();
      const rejected: string[] = [];
      for (const object of rest) {
        const result = await dryRunApply(object);
        console.log(`    ${describeObject(object)}: ${oneLine(result.code === 0 ? result.stdout : result.stderr)}`);
        if (result.code !== 0 || !/serverside-applied \(server dry run\)/.test(result.stdout)) {
          rejected.push(`${describeObject(object)}: ${result.stderr.trim() || result.stdout.trim()}`);
        }
      }
      times.push(`stack ${stack}: ${rest.length} objects dry-run applied: ${seconds(since).toFixed(1)} s`);
      assert.deepEqual(rejected, [], `the API server rejected objects of stack ${stack}`);
    });
  }

  describe("rejects deliberately broken copies of the program's objects", function () {
    for (const variant of variants) {
      it(`${variant.title} [${variant.stack}]`, async function () {
        const original = (objects.get(variant.stack) ?? []).find(
          (o) => o.kind === variant.kind && (variant.name === undefined || o.metadata?.name === variant.name),
        );
        assert.ok(original, `stack ${variant.stack} no longer declares a ${variant.kind}${variant.name ? ` named ${variant.name}` : ""}`);
        const broken = structuredClone(original);
        variant.breakIt(broken);
        const result = await dryRunApply(broken);
        console.log(`    ${describeObject(broken)}: ${oneLine(result.stderr || result.stdout)}`);
        assert.notEqual(result.code, 0, `the API server accepted the broken ${describeObject(broken)}: ${result.stdout}`);
        assert.match(result.stderr, variant.rejection);
      });
    }
  });
});
