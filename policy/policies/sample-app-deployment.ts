import * as k8s from "@pulumi/kubernetes";
import { ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { APP_NAME_LABEL, DEFAULT_DEPLOYMENT_REPLICAS } from "./lib/sample-app";
import { appName } from "./lib/settings";

/** Config of `sample-app-deployment`. */
export interface SampleAppConfig {
  /** Value of `app.kubernetes.io/name` that marks the sample app's Deployments. */
  readonly appName: string;
  /** Minimum replicas of each sample-app Deployment. */
  readonly minAppReplicas: number;
}

/**
 * Why an image reference does not pin a build, or undefined when it does. A digest pins it; otherwise
 * the tag is what follows the last `:` after the last `/` (a `:` before it belongs to a registry port).
 */
function unpinnedImage(image: string | undefined): string | undefined {
  if (!image) {
    return "has no image";
  }
  if (image.includes("@")) {
    return undefined;
  }
  const tagStart = image.lastIndexOf(":");
  if (tagStart <= image.lastIndexOf("/")) {
    return `image ${image} is untagged (pulls :latest)`;
  }
  return image.slice(tagStart + 1) === "latest" ? `image ${image} uses :latest` : undefined;
}

/** Whether a resource quantity map has at least one entry. */
function hasQuantities(quantities: Record<string, unknown> | undefined): boolean {
  return quantities !== undefined && Object.keys(quantities).length > 0;
}

/**
 * 7. The sample app's Deployments run at least `minAppReplicas` replicas, with pinned images, resource
 * requests and limits, and `runAsNonRoot` (on the container, or inherited from the pod).
 */
export const sampleAppDeployment: ResourceValidationPolicy = {
  name: "sample-app-deployment",
  description: "Sample-app Deployments have enough replicas, pinned images, resources and runAsNonRoot.",
  configSchema: {
    properties: {
      appName,
      minAppReplicas: {
        type: "integer",
        minimum: 1,
        default: 2,
        description: "Minimum replicas of each sample-app Deployment.",
      },
    },
  },
  validateResource: validateResourceOfType(k8s.apps.v1.Deployment, (deployment, args, reportViolation) => {
    const config = args.getConfig<SampleAppConfig>();
    const metadata = deployment.metadata ?? {};
    if (metadata.labels?.[APP_NAME_LABEL] !== config.appName) {
      args.notApplicable(`only applies to Deployments labelled ${APP_NAME_LABEL}=${config.appName}`);
    }
    const subject = `Deployment ${metadata.namespace ? `${metadata.namespace}/` : ""}${metadata.name ?? args.name}`;
    const replicas = deployment.spec?.replicas ?? DEFAULT_DEPLOYMENT_REPLICAS;
    if (replicas < config.minAppReplicas) {
      reportViolation(`${subject}: replicas ${replicas}, below minAppReplicas ${config.minAppReplicas}`);
    }
    const pod = deployment.spec?.template?.spec;
    const podNonRoot = pod?.securityContext?.runAsNonRoot;
    for (const container of [...(pod?.initContainers ?? []), ...(pod?.containers ?? [])]) {
      const where = `${subject}: container ${container.name}`;
      const image = unpinnedImage(container.image);
      if (image !== undefined) {
        reportViolation(`${where} ${image}; pin a tag or digest`);
      }
      if (!hasQuantities(container.resources?.requests) || !hasQuantities(container.resources?.limits)) {
        reportViolation(`${where} has no resource requests and limits`);
      }
      if ((container.securityContext?.runAsNonRoot ?? podNonRoot) !== true) {
        reportViolation(`${where} does not set runAsNonRoot: true`);
      }
    }
  }),
};
