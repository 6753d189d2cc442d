import { deepStrictEqual, match } from "assert";
import { appDisruptionBudget } from "../policies/sample-app-disruption-budget";
import { doConfig } from "./configs";
import { deployment } from "./fixtures";
import { checkStack, firstPreview, messages, TestResource, unanalyzed } from "./harness";

const PDB = "kubernetes:policy/v1:PodDisruptionBudget";
const pdb = (name: string, matchLabels: Record<string, string>, namespace = "kafka"): TestResource => ({
  type: PDB,
  name,
  props: {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: { name, namespace },
    spec: { maxUnavailable: 1, selector: { matchLabels } },
  },
});
const component = (c: string) => ({ "app.kubernetes.io/name": "kafka-sample-app", "app.kubernetes.io/component": c });

describe("policy sample-app-disruption-budget", () => {
  it("passes when each app Deployment has a budget selecting its pods", async () => {
    const resources = [deployment("producer"), deployment("consumer"), pdb("p", component("producer")), pdb("c", component("consumer"))];
    deepStrictEqual(await checkStack(appDisruptionBudget, resources, doConfig), { violations: [] });
  });

  it("reports a Deployment without a budget, one in another namespace, or one selecting other pods", async () => {
    const resources = [
      deployment("producer"),
      deployment("consumer"),
      pdb("p", component("producer"), "other"),
      pdb("c", { ...component("consumer"), extra: "x" }),
    ];
    const outcome = await checkStack(appDisruptionBudget, resources, doConfig);
    deepStrictEqual(
      outcome.violations.map((v) => v.message),
      [
        "Deployment kafka/sample-app-producer: no PodDisruptionBudget selects its pods",
        "Deployment kafka/sample-app-consumer: no PodDisruptionBudget selects its pods",
      ],
    );
  });

  it("decides on a first preview from the inputs the analyzer was shown", async () => {
    const covered = firstPreview([deployment("producer"), pdb("p", component("producer"))]);
    deepStrictEqual(await checkStack(appDisruptionBudget, covered, doConfig), { violations: [] });
    const uncovered = firstPreview([deployment("producer"), pdb("p", component("consumer"))]);
    deepStrictEqual(messages(await checkStack(appDisruptionBudget, uncovered, doConfig)), [
      "Deployment kafka/sample-app-producer: no PodDisruptionBudget selects its pods",
    ]);
  });

  it("says the objects are not known yet when it has neither their outputs nor their inputs", async () => {
    const outcome = await checkStack(
      appDisruptionBudget,
      unanalyzed(firstPreview([deployment("producer"), pdb("p", component("producer"))])),
      doConfig,
    );
    deepStrictEqual(outcome.violations, []);
    match(outcome.notKnownYet ?? "", /Deployment sample-app-producer, PodDisruptionBudget p not known yet/);
  });
});
