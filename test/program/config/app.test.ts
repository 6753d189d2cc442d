import * as assert from "assert";
import { resolveApp } from "../../../components/config/app";
import { TopicSettings } from "../../../components/config/topics";
import { parsedSettings, problemLines } from "./parsed";

const topic = (name: string, partitions: number): TopicSettings => ({ name, partitions, replicas: 1, config: {} });
const topics = [topic("orders", 4), topic("audit", 2)];
const noBounds = { appMinConsumerReplicas: undefined, appMaxConsumerReplicas: undefined, appLagThreshold: undefined };

describe("config app resolver", () => {
  it("runs on the first topic and lets KEDA scale the consumers up to its partitions", () => {
    const { settings, problems } = resolveApp(parsedSettings("dev", noBounds), topics);
    assert.deepStrictEqual(problems, []);
    assert.strictEqual(settings.app.topic, "orders");
    assert.deepStrictEqual(settings.app.autoscaling, {
      minReplicas: 1,
      maxReplicas: 4,
      lagThreshold: 100,
      scaleDownStabilizationSeconds: 300,
    });
    assert.deepStrictEqual(settings.keda, { chartVersion: "2.20.2", namespace: "keda" });
  });

  it("leaves KEDA out when autoscaling is off", () => {
    const { settings, problems } = resolveApp(parsedSettings("dev", { ...noBounds, appAutoscaling: false, appTopic: "audit" }), topics);
    assert.deepStrictEqual(problems, []);
    assert.strictEqual(settings.app.topic, "audit");
    assert.strictEqual(settings.app.autoscaling, undefined);
    assert.strictEqual(settings.keda, undefined);
  });

  it("refuses a topic that is not declared", () => {
    assert.deepStrictEqual(
      problemLines(resolveApp(parsedSettings("dev", { ...noBounds, appTopic: "payments", appAutoscaling: false }), topics)),
      ['kafka-on-k8s:appTopic = "payments": must be one of the declared topics: orders, audit'],
    );
  });

  it("refuses bounds beyond the app topic's partitions and a starting count outside them", () => {
    assert.deepStrictEqual(
      problemLines(resolveApp(parsedSettings("dev", { appTopic: "audit", appMaxConsumerReplicas: 3, appConsumerReplicas: 4 }), topics)),
      [
        'kafka-on-k8s:appMaxConsumerReplicas = "3": must be ≤ the 2 partitions of topic audit: a consumer beyond them gets no partition and idles',
        'kafka-on-k8s:appConsumerReplicas = "4": must be within appMinConsumerReplicas..appMaxConsumerReplicas (1..3) with appAutoscaling=true: it is the count KEDA starts from',
      ],
    );
  });

  it("refuses KEDA in a namespace it does not own, and KEDA settings with autoscaling off", () => {
    assert.match(
      problemLines(resolveApp(parsedSettings("dev", { ...noBounds, kedaNamespace: "strimzi-system" }), topics))[0],
      /^kafka-on-k8s:kedaNamespace = "strimzi-system": must differ from kafkaNamespace and strimziNamespace and not be reserved/,
    );
    assert.deepStrictEqual(
      problemLines(resolveApp(parsedSettings("dev", { ...noBounds, appAutoscaling: false, kedaChartVersion: "2.20.2" }), topics)),
      ['kafka-on-k8s:kedaChartVersion = "2.20.2": only applies with appAutoscaling=true'],
    );
  });
});
