// The program's resources as the engine hands them to the policy pack (policy/test runs the pack itself).
import type { TestResource } from "../../policy/test/harness";
import type { DeclaredResource } from "./program";

/**
 * The custom resources of a mocked program run as the engine hands them to policies. Resource policies
 * get the inputs; stack policies get the outputs, which for a create in a preview are the inputs as the
 * provider checked them; but on a stack's `firstPreview` the cluster does not exist yet, the Kubernetes
 * provider's kubeconfig is unknown, the engine cannot ask it, and every Kubernetes object reaches the stack
 * policies with no properties at all (seen with the real engine; test-engine/preview.test.ts).
 */
export function fromProgram(resources: readonly DeclaredResource[], preview: "firstPreview" | "later" = "later"): TestResource[] {
  return resources
    .filter((r) => r.custom)
    .map((r) => ({
      type: r.type,
      name: r.name,
      props: r.inputs,
      ...(preview === "firstPreview" && r.type.startsWith("kubernetes:") ? { outputs: {} } : {}),
    }));
}
