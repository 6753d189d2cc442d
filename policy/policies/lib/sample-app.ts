// How the policies recognise the sample app's workloads (see components/sampleApp.ts) and read their
// environment: from the contract the app shares with the program.
import { KUBERNETES } from "../../../sample-app/src/contract";
export { DEFAULT_TOPIC, ENV } from "../../../sample-app/src/contract";

/** Label that names the application a Deployment belongs to. */
export const APP_NAME_LABEL = KUBERNETES.labels.name;

/** Label that names the part of the application (`producer` / `consumer`). */
export const APP_COMPONENT_LABEL = KUBERNETES.labels.component;

/** `APP_NAME_LABEL` value of the sample app's pods and Deployments, as the program sets it. */
export const APP_NAME = KUBERNETES.name;

/** Kubernetes' default when a Deployment leaves `spec.replicas` unset. */
export const DEFAULT_DEPLOYMENT_REPLICAS = 1;
