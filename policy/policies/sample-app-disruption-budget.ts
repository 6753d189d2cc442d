import * as k8s from "@pulumi/kubernetes";
import { StackValidationPolicy } from "@pulumi/policy";
import { knownKubernetesObjects } from "./lib/resources";
import { APP_NAME_LABEL } from "./lib/sample-app";
import { appName } from "./lib/settings";

/** Config of `sample-app-disruption-budget`. */
export interface AppDisruptionBudgetConfig {
  /** Value of `app.kubernetes.io/name` that marks the sample app's Deployments. */
  readonly appName: string;
}

/**
 * 14. Each sample-app Deployment's pods are covered by a PodDisruptionBudget in its namespace (a selector
 * whose labels all match the pod template), so a node drain cannot take every consumer of the group, or
 * every producer, at once.
 */
export const appDisruptionBudget: StackValidationPolicy = {
  name: "sample-app-disruption-budget",
  description: "Every sample-app Deployment has a PodDisruptionBudget covering its pods.",
  configSchema: { properties: { appName } },
  validateStack: (args, reportViolation) => {
    const config = args.getConfig<AppDisruptionBudgetConfig>();
    const objects = knownKubernetesObjects(
      args.resources.filter((r) => r.isType(k8s.apps.v1.Deployment) || r.isType(k8s.policy.v1.PodDisruptionBudget)),
    );
    const deployments = objects.filter(
      (r) => r.isType(k8s.apps.v1.Deployment) && r.props.metadata?.labels?.[APP_NAME_LABEL] === config.appName,
    );
    if (deployments.length === 0) {
      args.notApplicable(`the stack declares no ${config.appName} Deployment`);
    }
    const budgets = objects.filter((r) => r.isType(k8s.policy.v1.PodDisruptionBudget));
    for (const deployment of deployments) {
      const namespace = deployment.props.metadata?.namespace ?? "default";
      const podLabels: Record<string, string> = deployment.props.spec?.template?.metadata?.labels ?? {};
      const covered = budgets.some(
        (pdb) =>
          (pdb.props.metadata?.namespace ?? "default") === namespace &&
          Object.keys(pdb.props.spec?.selector?.matchLabels ?? {}).length > 0 &&
          Object.entries(pdb.props.spec.selector.matchLabels).every(([key, value]) => podLabels[key] === value),
      );
      if (!covered) {
        reportViolation(
          `Deployment ${namespace}/${deployment.props.metadata?.name ?? deployment.name}: ` + "no PodDisruptionBudget selects its pods",
          deployment.urn,
        );
      }
    }
  },
};
