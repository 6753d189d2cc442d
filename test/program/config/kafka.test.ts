import * as assert from "assert";
import { resolveKafka } from "../../../components/config/kafka";
import { parsedSettings, problemLines } from "./parsed";

describe("config kafka resolver", () => {
  it("resolves kind's defaults: one combined pool, RF 1, ephemeral storage, the small profile", () => {
    const { settings, problems } = resolveKafka(parsedSettings("dev"));
    assert.deepStrictEqual(problems, []);
    assert.strictEqual(settings.controllerReplicas, 1);
    assert.strictEqual(settings.replicationFactor, 1);
    assert.strictEqual(settings.minInsyncReplicas, 1);
    assert.deepStrictEqual(settings.storage, { type: "ephemeral", size: "10Gi", class: undefined, deleteClaim: false });
    assert.strictEqual(settings.brokerAntiAffinity, false);
    assert.strictEqual(settings.resourceProfile, "small");
    assert.deepStrictEqual(
      settings.topics.map((t) => t.name),
      ["demo-events"],
    );
  });

  it("resolves DOKS defaults: DO block storage, anti-affinity, the production profile, RF from the brokers", () => {
    const { settings, problems } = resolveKafka(
      parsedSettings("do", {
        storageClass: undefined,
        brokerAntiAffinity: undefined,
        resourceProfile: undefined,
        replicationFactor: undefined,
        minInsyncReplicas: undefined,
      }),
    );
    assert.deepStrictEqual(problems, []);
    assert.strictEqual(settings.storage.class, "do-block-storage");
    assert.strictEqual(settings.brokerAntiAffinity, true);
    assert.strictEqual(settings.resourceProfile, "production");
    assert.strictEqual(settings.replicationFactor, 3);
    assert.strictEqual(settings.minInsyncReplicas, 2);
  });

  it("refuses an even quorum on the key that sets it, and a replication factor above the brokers", () => {
    assert.deepStrictEqual(problemLines(resolveKafka(parsedSettings("dev", { brokerReplicas: 2, replicationFactor: 3 }))), [
      'kafka-on-k8s:brokerReplicas = "2": the KRaft controller quorum must be odd (1, 3, 5) to tolerate failures; 2 controllers tolerate no more than 1',
      'kafka-on-k8s:replicationFactor = "3": must be ≤ brokerReplicas (2): each replica needs its own broker',
      'kafka-on-k8s:topics = "[{\\"name\\":\\"demo-events\\",\\"partitions\\":6}]": topic demo-events (#1): replicas 3 must be ≤ brokerReplicas (2)',
    ]);
  });

  it("refuses storage settings where there is nothing to store on, and a reserved namespace", () => {
    assert.deepStrictEqual(
      problemLines(resolveKafka(parsedSettings("dev", { storageSize: "20Gi", deleteVolumesOnDestroy: true, kafkaNamespace: "default" }))),
      [
        'kafka-on-k8s:storageSize = "20Gi": only applies to storageType=persistent-claim',
        'kafka-on-k8s:kafkaNamespace = "default": must not be default, which belongs to Kubernetes; reserved: default, kube-system, kube-public, kube-node-lease, flux-system',
        'kafka-on-k8s:deleteVolumesOnDestroy = "true": only applies to storageType=persistent-claim or clusterKind=doks: nothing else has volumes',
      ],
    );
  });

  it("refuses a Kafka name Strimzi cannot derive its Service names from", () => {
    assert.deepStrictEqual(resolveKafka(parsedSettings("dev", { kafkaName: "k".repeat(47) })).problems, []);
    assert.match(
      problemLines(resolveKafka(parsedSettings("dev", { kafkaName: "k".repeat(48) })))[0],
      /^kafka-on-k8s:kafkaName = "k{48}": must be at most 47 characters/,
    );
  });
});
