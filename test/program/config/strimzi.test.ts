import * as assert from "assert";
import { resolveStrimzi } from "../../../components/config/strimzi";
import { parsedSettings, problemLines } from "./parsed";

describe("config strimzi resolver", () => {
  it("resolves the pinned chart in its own namespace, watching the Kafka namespace", () => {
    const { settings, problems } = resolveStrimzi(parsedSettings("do", { kafkaNamespace: "events" }));
    assert.deepStrictEqual(problems, []);
    assert.deepStrictEqual(settings, { chartVersion: "1.2.0", replicas: 2, namespace: "strimzi-system", watchNamespaces: ["events"] });
  });

  it("refuses the Kafka namespace and namespaces that belong to Kubernetes or Flux", () => {
    assert.deepStrictEqual(problemLines(resolveStrimzi(parsedSettings("dev", { strimziNamespace: "kafka" }))), [
      'kafka-on-k8s:strimziNamespace = "kafka": must differ from kafkaNamespace: the Strimzi chart fails with duplicate RoleBindings when it watches its own namespace',
    ]);
    assert.match(
      problemLines(resolveStrimzi(parsedSettings("dev", { strimziNamespace: "kube-system" })))[0],
      /^kafka-on-k8s:strimziNamespace = "kube-system": must not be kube-system, which belongs to Kubernetes; reserved: /,
    );
    assert.match(problemLines(resolveStrimzi(parsedSettings("dev", { strimziNamespace: "flux-system" })))[0], /which belongs to Flux/);
  });
});
