import * as assert from "assert";
import { resolveCluster } from "../../../components/config/cluster";
import { pinned } from "../../../components/config/pinned";
import { resolveKafka } from "../../../components/config/kafka";
import { StackName } from "../../support/program";
import { parsedSettings, problemLines } from "./parsed";

/** resolveCluster on a stack file with overrides, with the Kafka pools it must fit. */
function cluster(stack: StackName, overrides: Record<string, unknown> = {}) {
  const parsed = parsedSettings(stack, overrides);
  return resolveCluster(parsed, resolveKafka(parsed).settings);
}

describe("config cluster resolver", () => {
  it("resolves kind with the pinned node image and a name from the stack", () => {
    const { settings, problems } = cluster("dev", { clusterName: undefined, kubernetesVersion: undefined });
    assert.deepStrictEqual(problems, []);
    assert.strictEqual(settings.name, "kafka-dev");
    assert.strictEqual(settings.kubernetesVersion, pinned.kubernetes);
    assert.deepStrictEqual(settings.provider, { kind: "kind", workers: 1, nodeImage: pinned.kindNodeImages[pinned.kubernetes] });
  });

  it("resolves DOKS with at least three nodes and no account token (only the digitalocean provider reads it)", () => {
    const { settings, problems } = cluster("do", { doNodeCount: undefined, doMaxNodes: undefined, kubernetesVersion: undefined });
    assert.deepStrictEqual(problems, []);
    assert.strictEqual(settings.kubernetesVersion, "1.35");
    assert.ok(settings.provider.kind === "doks");
    assert.strictEqual(settings.provider.nodeCount, 3);
    assert.strictEqual(settings.provider.maxNodes, 3);
    assert.ok(!("token" in settings.provider), "the account token reaches the cluster's settings");
  });

  it("refuses DOKS settings on kind and a kind version without a patch", () => {
    assert.deepStrictEqual(problemLines(cluster("dev", { doRegion: "fra1", kubernetesVersion: "1.35" })), [
      'kafka-on-k8s:kubernetesVersion = "1.35": must be an exact version MAJOR.MINOR.PATCH for kind, e.g. 1.35.0',
      'kafka-on-k8s:doRegion = "fra1": only applies to clusterKind=doks',
    ]);
  });

  it("refuses anti-affinity that kind's nodes cannot satisfy, counting separate controllers", () => {
    assert.deepStrictEqual(problemLines(cluster("dev", { brokerAntiAffinity: true, nodePools: "separate", kindWorkers: 2 })), [
      'kafka-on-k8s:brokerAntiAffinity = "true": needs one node per broker and per controller (3), but kind has 2 schedulable node(s); raise kindWorkers to 3 or turn it off',
    ]);
    assert.deepStrictEqual(cluster("dev", { brokerAntiAffinity: true, nodePools: "separate", kindWorkers: 3 }).problems, []);
  });

  it("refuses fewer DOKS nodes than spread controllers, a maximum below the count, and no registry", () => {
    assert.deepStrictEqual(problemLines(cluster("do", { controllerReplicas: 5, doMaxNodes: 2, doRegistryName: undefined })), [
      'kafka-on-k8s:doNodeCount = "3": must be ≥ controllerReplicas (5) so each controller can sit on its own node',
      'kafka-on-k8s:doMaxNodes = "2": must be ≥ doNodeCount (3)',
      "kafka-on-k8s:doRegistryName = (unset): required for clusterKind=doks: the DigitalOcean Container Registry the sample-app image is pushed to",
    ]);
  });
});
