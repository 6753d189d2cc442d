import * as assert from "assert";
import { resolveMonitoring } from "../../../components/config/monitoring";
import { parsedSettings, problemLines } from "./parsed";

describe("config monitoring resolver", () => {
  it("is on by default on DOKS only, with the pinned chart", () => {
    assert.deepStrictEqual(resolveMonitoring(parsedSettings("do", { monitoring: undefined })), {
      settings: { chartVersion: "88.5.3", namespace: "monitoring" },
      problems: [],
    });
    assert.deepStrictEqual(resolveMonitoring(parsedSettings("dev", { monitoring: undefined })), { settings: undefined, problems: [] });
  });

  it("refuses KEDA's namespace only while KEDA is installed", () => {
    assert.match(
      problemLines(resolveMonitoring(parsedSettings("do", { monitoringNamespace: "keda" })))[0],
      /^kafka-on-k8s:monitoringNamespace = "keda": must differ from kafkaNamespace, strimziNamespace and kedaNamespace and not be reserved/,
    );
    const withoutKeda = parsedSettings("do", {
      monitoringNamespace: "keda",
      appAutoscaling: false,
      appMinConsumerReplicas: undefined,
      appMaxConsumerReplicas: undefined,
      appLagThreshold: undefined,
    });
    assert.deepStrictEqual(resolveMonitoring(withoutKeda).settings, { chartVersion: "88.5.3", namespace: "keda" });
  });

  it("refuses monitoring settings with monitoring off", () => {
    assert.deepStrictEqual(problemLines(resolveMonitoring(parsedSettings("dev", { monitoringChartVersion: "88.5.3" }))), [
      'kafka-on-k8s:monitoringChartVersion = "88.5.3": only applies with monitoring=true',
    ]);
  });
});
