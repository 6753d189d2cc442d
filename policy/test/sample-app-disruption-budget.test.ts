import { deepStrictEqual } from "assert";
import { appDisruptionBudget } from "../policies/sample-app-disruption-budget";
import { doConfig } from "./configs";
import { deployment } from "./fixtures";
import { checkStack, TestResource } from "./harness";

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

  it("says the objects are not known yet on a first preview, instead of reporting them", async () => {
    const resources = [deployment("producer"), pdb("p", component("producer"))].map((r) => ({ ...r, outputs: {} }));
    const outcome = await checkStack(appDisruptionBudget, resources, doConfig);
    deepStrictEqual(outcome.violations, []);
    deepStrictEqual(/Deployment sample-app-producer, PodDisruptionBudget p not known yet/.test(outcome.notKnownYet ?? ""), true);
  });
});
