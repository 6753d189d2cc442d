import { deepStrictEqual, strictEqual } from "assert";
import { scaledConsumerTarget } from "../policies/scaled-consumer-target";
import { devConfig, doConfig } from "./configs";
import { deployment, kafka, scaledObject, topic } from "./fixtures";
import { checkStack, firstPreview, messages, TestResource, unanalyzed } from "./harness";

const urn = (r: TestResource) => `urn:pulumi:test::kafka-on-k8s::${r.type}::${r.name}`;
const stack = (...extra: TestResource[]) => [kafka(), topic("demo-events", { partitions: 12 }), deployment("consumer"), ...extra];

describe("policy scaled-consumer-target (stack)", () => {
  it("is mandatory in the pack and in both stack configs", () => {
    strictEqual(scaledConsumerTarget.enforcementLevel, undefined); // the pack's default: mandatory
    strictEqual(doConfig.get("scaled-consumer-target")?.enforcementLevel, "mandatory");
    strictEqual(devConfig.get("scaled-consumer-target")?.enforcementLevel, "mandatory");
  });

  it("passes a ScaledObject on the consumer Deployment with at most the topic's partitions", async () => {
    deepStrictEqual(await checkStack(scaledConsumerTarget, stack(scaledObject()), doConfig), { violations: [] });
    deepStrictEqual(await checkStack(scaledConsumerTarget, stack(scaledObject({ maxReplicaCount: 4 })), doConfig), { violations: [] });
  });

  it("reports a maxReplicaCount above the partitions of the trigger's topic, and KEDA's default of 100 when unset", async () => {
    const above = scaledObject({ maxReplicaCount: 13 });
    deepStrictEqual(await checkStack(scaledConsumerTarget, stack(above), doConfig), {
      violations: [
        {
          message:
            "ScaledObject kafka/sample-app-consumer: maxReplicaCount 13 is above the 12 partitions of topic demo-events; a consumer beyond them idles",
          urn: urn(above),
        },
      ],
    });
    const unset = scaledObject();
    delete unset.props.spec.maxReplicaCount;
    deepStrictEqual(messages(await checkStack(scaledConsumerTarget, stack(unset), doConfig)), [
      "ScaledObject kafka/sample-app-consumer: maxReplicaCount 100 is above the 12 partitions of topic demo-events; a consumer beyond them idles",
    ]);
  });

  it("reports a target that is not the app's consumer Deployment: the producer, another kind, another namespace", async () => {
    const targets: [Record<string, unknown>, string][] = [
      [{ apiVersion: "apps/v1", kind: "Deployment", name: "sample-app-producer" }, "Deployment sample-app-producer"],
      [{ apiVersion: "apps/v1", kind: "StatefulSet", name: "sample-app-consumer" }, "StatefulSet sample-app-consumer"],
      [{ name: "billing" }, "Deployment billing"],
    ];
    for (const [scaleTargetRef, named] of targets) {
      deepStrictEqual(
        messages(await checkStack(scaledConsumerTarget, stack(deployment("producer"), scaledObject({ scaleTargetRef })), doConfig)),
        [
          `ScaledObject kafka/sample-app-consumer: scaleTargetRef ${named} is not the kafka-sample-app consumer Deployment of namespace kafka`,
        ],
        named,
      );
    }
    const elsewhere = scaledObject();
    elsewhere.props.metadata.namespace = "apps";
    deepStrictEqual(messages(await checkStack(scaledConsumerTarget, stack(elsewhere), doConfig)), [
      "ScaledObject apps/sample-app-consumer: scaleTargetRef Deployment sample-app-consumer is not the kafka-sample-app consumer Deployment of namespace apps",
    ]);
  });

  it("picks the topic of the cluster named by bootstrapServers, and skips a topic the stack does not declare", async () => {
    const small = [kafka({}, { cluster: "small" }), topic("demo-events", { partitions: 2 }, { cluster: "small" })];
    deepStrictEqual(await checkStack(scaledConsumerTarget, stack(...small, scaledObject()), doConfig), { violations: [] });
    deepStrictEqual(
      messages(
        await checkStack(
          scaledConsumerTarget,
          stack(...small, scaledObject({}, { bootstrapServers: "small-kafka-bootstrap.kafka.svc:9093" })),
          doConfig,
        ),
      ),
      [
        "ScaledObject kafka/sample-app-consumer: maxReplicaCount 12 is above the 2 partitions of topic demo-events; a consumer beyond them idles",
      ],
    );
    deepStrictEqual(
      await checkStack(scaledConsumerTarget, stack(scaledObject({ maxReplicaCount: 50 }, { topic: "elsewhere" })), doConfig),
      { violations: [] },
    );
  });

  it("decides on a first preview from the inputs the analyzer was shown", async () => {
    deepStrictEqual(await checkStack(scaledConsumerTarget, firstPreview(stack(scaledObject())), doConfig), { violations: [] });
    deepStrictEqual(
      messages(await checkStack(scaledConsumerTarget, firstPreview(stack(scaledObject({ maxReplicaCount: 13 }))), doConfig)),
      [
        "ScaledObject kafka/sample-app-consumer: maxReplicaCount 13 is above the 12 partitions of topic demo-events; a consumer beyond them idles",
      ],
    );
  });

  it("says the objects are not known yet when it has neither outputs nor inputs, and does not apply without a ScaledObject", async () => {
    const outcome = await checkStack(scaledConsumerTarget, unanalyzed(firstPreview(stack(scaledObject()))), doConfig);
    deepStrictEqual(outcome.violations, []);
    strictEqual(/ScaledObject sample-app-scaler-scaledobject.* not known yet/.test(outcome.notKnownYet ?? ""), true, outcome.notKnownYet);
    strictEqual((await checkStack(scaledConsumerTarget, stack(), doConfig)).notApplicable, "the stack declares no KEDA ScaledObject");
  });
});
