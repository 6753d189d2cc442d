// Every custom resource the program declares, for both stacks, against the upstream CRD schemas.
import * as assert from "assert";
import { crdDirVariable, CrdValidator, loadCrds } from "../support/crds";
import { kubernetesObjects, runProgram, StackName } from "../support/program";

// Kubernetes' own APIs: the API-server stage checks those against the real server.
const builtIn = new Set(["v1", "apps/v1", "policy/v1", "networking.k8s.io/v1", "admissionregistration.k8s.io/v1"]);

describe("custom resources against the upstream CRDs", function () {
  this.timeout(120000);
  let validator: CrdValidator;
  const customResources = {} as Record<StackName, Record<string, any>[]>;

  before(async () => {
    // Fails loudly (no skip) when neither KAFKA_K8S_CRD_DIR nor the upstream download is available.
    validator = new CrdValidator(await loadCrds());
    for (const stack of ["dev", "do"] as const) {
      customResources[stack] = kubernetesObjects(await runProgram(stack)).filter((o) => !builtIn.has(o.apiVersion));
    }
  });

  for (const stack of ["dev", "do"] as const) {
    it(`${stack}: every custom resource has a served CRD version and validates`, () => {
      const kinds = customResources[stack].map((o) => `${o.apiVersion}/${o.kind}`);
      for (const expected of [
        "kafka.strimzi.io/v1/Kafka",
        "kafka.strimzi.io/v1/KafkaNodePool",
        "kafka.strimzi.io/v1/KafkaTopic",
        "helm.toolkit.fluxcd.io/v2/HelmRelease",
        "source.toolkit.fluxcd.io/v1/OCIRepository",
        "source.toolkit.fluxcd.io/v1/HelmRepository",
        "keda.sh/v1alpha1/ScaledObject",
        ...(stack === "do"
          ? ["kafka.strimzi.io/v1/KafkaUser", "keda.sh/v1alpha1/TriggerAuthentication", "monitoring.coreos.com/v1/PodMonitor"]
          : []),
      ]) {
        assert.ok(kinds.includes(expected), `${stack} declares no ${expected}`);
      }
      const failures = customResources[stack].flatMap((o) =>
        validator.validate(o).map((e) => `${o.kind}/${o.metadata.name}: ${e.instancePath || "/"} ${e.message} ${JSON.stringify(e.params)}`),
      );
      assert.deepStrictEqual(failures, []);
    });
  }

  it("fails loudly, naming the variable, when the CRD directory is missing", async () => {
    const saved = process.env[crdDirVariable];
    process.env[crdDirVariable] = "/nonexistent/crds";
    try {
      await assert.rejects(loadCrds(), new RegExp(`${crdDirVariable}=/nonexistent/crds: no such directory`));
    } finally {
      if (saved === undefined) delete process.env[crdDirVariable];
      else process.env[crdDirVariable] = saved;
    }
  });

  // The checks above are only worth something if a broken object fails them (copies of dev's objects,
  // or do's where dev has none).
  const broken: [string, string, (o: any) => void, RegExp][] = [
    [
      "Kafka",
      "a misspelt field",
      (o) => {
        o.spec.kafka.listners = o.spec.kafka.listeners;
      },
      /must NOT have additional properties.*listners/,
    ],
    [
      "KafkaNodePool",
      "replicas as a string",
      (o) => {
        o.spec.replicas = "three";
      },
      /\/spec\/replicas must be integer/,
    ],
    [
      "KafkaNodePool",
      "an unknown storage type",
      (o) => {
        o.spec.storage.type = "hostpath";
      },
      /\/spec\/storage\/type must be equal to one of the allowed values/,
    ],
    [
      "KafkaTopic",
      "zero partitions",
      (o) => {
        o.spec.partitions = 0;
      },
      /\/spec\/partitions must be >= 1/,
    ],
    [
      "Kafka",
      "a listener without a port",
      (o) => {
        delete o.spec.kafka.listeners[0].port;
      },
      /must have required property 'port'/,
    ],
    [
      "HelmRelease",
      "an unknown CRD policy",
      (o) => {
        o.spec.install.crds = "Always";
      },
      /\/spec\/install\/crds must be equal to one of the allowed values/,
    ],
    [
      "ScaledObject",
      "a negative minimum",
      (o) => {
        o.spec.minReplicaCount = -1;
      },
      /\/spec\/minReplicaCount must be >= 0/,
    ],
    [
      "ScaledObject",
      "trigger metadata that is not a string",
      (o) => {
        o.spec.triggers[0].metadata.lagThreshold = 100;
      },
      /\/spec\/triggers\/0\/metadata\/lagThreshold must be string/,
    ],
    [
      "ScaledObject",
      "a misspelt scale-in window",
      (o) => {
        const behavior = o.spec.advanced.horizontalPodAutoscalerConfig.behavior;
        behavior.scaleDown.stabilisationWindowSeconds = behavior.scaleDown.stabilizationWindowSeconds;
      },
      /must NOT have additional properties.*stabilisationWindowSeconds/,
    ],
    [
      "PodMonitor",
      "endpoints under the ServiceMonitor's field name",
      (o) => {
        o.spec.endpoints = o.spec.podMetricsEndpoints;
        delete o.spec.podMetricsEndpoints;
      },
      /must NOT have additional properties.*"additionalProperty":"endpoints"/,
    ],
    [
      "PodMonitor",
      "a scrape interval without a unit",
      (o) => {
        o.spec.podMetricsEndpoints[0].interval = "15";
      },
      /\/spec\/podMetricsEndpoints\/0\/interval must match pattern/,
    ],
    [
      "PodMonitor",
      "a selector that is not a label selector",
      (o) => {
        o.spec.selector = { "strimzi.io/kind": "Kafka" };
      },
      /\/spec\/selector must NOT have additional properties/,
    ],
  ];
  for (const [kind, what, breakIt, expected] of broken) {
    it(`rejects a ${kind} with ${what}`, () => {
      const original = customResources.dev.find((o) => o.kind === kind) ?? customResources.do.find((o) => o.kind === kind);
      assert.ok(original, `no ${kind} in dev or do`);
      const copy = structuredClone(original);
      breakIt(copy);
      const messages = validator
        .validate(copy)
        .map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`)
        .join("\n");
      assert.match(messages, expected);
    });
  }
});
