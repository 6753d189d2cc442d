// Type tokens and accessors for the Kubernetes custom resources the program declares. Custom resources
// have no typed SDK class here, so policies match on the type token the engine reports.
import { PolicyResource, UnknownValueError } from "@pulumi/policy";
import { recordedInputs } from "./inputs";

/** Strimzi `Kafka` cluster. */
export const KAFKA = "kubernetes:kafka.strimzi.io/v1:Kafka";
/** Strimzi `KafkaNodePool` (brokers and/or KRaft controllers of one cluster). */
export const KAFKA_NODE_POOL = "kubernetes:kafka.strimzi.io/v1:KafkaNodePool";
/** Strimzi `KafkaTopic`. */
export const KAFKA_TOPIC = "kubernetes:kafka.strimzi.io/v1:KafkaTopic";
/** Flux `HelmRelease`. */
export const HELM_RELEASE = "kubernetes:helm.toolkit.fluxcd.io/v2:HelmRelease";
/** Flux `OCIRepository` (a Helm chart pulled from an OCI registry). */
export const OCI_REPOSITORY = "kubernetes:source.toolkit.fluxcd.io/v1:OCIRepository";

/** KEDA `ScaledObject` (scales a workload on its triggers' metrics). */
export const SCALED_OBJECT = "kubernetes:keda.sh/v1alpha1:ScaledObject";

/** Label that ties node pools, topics and users to their `Kafka` cluster. */
export const CLUSTER_LABEL = "strimzi.io/cluster";

/** The part of a resource the policies read: its type token, Pulumi name and inputs. */
export interface ResourceView {
  /** Pulumi type token, e.g. `kubernetes:kafka.strimzi.io/v1:KafkaNodePool`. */
  readonly type: string;
  /** Pulumi resource name (used when the object has no `metadata.name`). */
  readonly name: string;
  /** Resource inputs (for Kubernetes objects: the object as sent). */
  // The engine hands properties untyped; each policy narrows what it reads.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly props: Record<string, any>;
}

/** `Kind namespace/name` of a Kubernetes object, as it should appear in a violation message. */
export function describe(resource: ResourceView): string {
  const kind = resource.type.slice(resource.type.lastIndexOf(":") + 1);
  const metadata = resource.props.metadata ?? {};
  const name = metadata.name ?? resource.name;
  return metadata.namespace ? `${kind} ${metadata.namespace}/${name}` : `${kind} ${name}`;
}

/**
 * Identity of the Kafka cluster a resource belongs to: the namespace plus the cluster name (the `Kafka`'s
 * own name, or the `strimzi.io/cluster` label of pools and topics), because Strimzi only links objects
 * in the same namespace. Undefined when a pool or topic carries no cluster label.
 */
export function clusterKey(resource: ResourceView): string | undefined {
  const metadata = resource.props.metadata ?? {};
  const cluster = resource.type === KAFKA ? (metadata.name ?? resource.name) : metadata.labels?.[CLUSTER_LABEL];
  return cluster === undefined ? undefined : `${metadata.namespace ?? "default"}/${cluster}`;
}

/** The KRaft roles of a node pool. */
export function poolRoles(pool: ResourceView): readonly string[] {
  const roles = pool.props.spec?.roles;
  return Array.isArray(roles) ? roles : [];
}

/** Topology key that spreads pods one per node. */
export const HOSTNAME_TOPOLOGY = "kubernetes.io/hostname";

/** The label selectors of a node pool's required pod anti-affinity terms that spread its pods one per node. */
export function perNodeAntiAffinitySelectors(pool: ResourceView): Record<string, string>[] {
  const terms = pool.props.spec?.template?.pod?.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  return (Array.isArray(terms) ? terms : [])
    .filter((term: { topologyKey?: string }) => term.topologyKey === HOSTNAME_TOPOLOGY)
    .map((term: { labelSelector?: { matchLabels?: Record<string, string> } }) => term.labelSelector?.matchLabels ?? {});
}

/**
 * A Kafka setting or replica count as an integer. Kafka config values arrive as numbers or as strings
 * (`"3"`); anything else (a fraction, `"three"`) yields `NaN` so the caller can report it.
 */
export function toInteger(value: unknown): number {
  if (typeof value === "number") {
    return Number.isInteger(value) ? value : NaN;
  }
  if (typeof value === "string" && /^\s*-?\d+\s*$/.test(value)) {
    return Number(value);
  }
  return NaN;
}

/**
 * The error a stack policy throws when it meets Kubernetes objects whose properties the engine does not
 * know yet and whose inputs the analyzer has not seen either (see {@link knownKubernetesObjects}): a
 * missing field must not read as "unset". The analyzer turns an `UnknownValueError` into an advisory
 * "can't run policy during preview" instead of a violation. (Its constructor only formats messages about
 * single unknown fields, hence the plain error given its prototype.)
 */
export function notKnownYet(resources: readonly ResourceView[]): Error {
  const error = new Error(
    `${resources.map(describe).join(", ")} not known yet (neither their outputs, before the cluster ` +
      "exists, nor their inputs were given to the policy pack)",
  );
  return Object.setPrototypeOf(error, UnknownValueError.prototype) as Error;
}

/** A Kubernetes object always carries `kind` once its provider has answered, and in its inputs. */
const unknownKubernetesObject = (resource: ResourceView) => resource.type.startsWith("kubernetes:") && resource.props.kind === undefined;

/**
 * The given resources with every Kubernetes object's properties known. Stack policies receive outputs; on
 * a stack's first preview the cluster does not exist and the engine passes Kubernetes objects with no
 * properties at all. Such an object is read from the inputs the analyzer received for it in this run
 * (lib/inputs.ts): what the program asks for, which is what that preview is about. Throws
 * {@link notKnownYet} for objects it has neither for.
 */
export function knownKubernetesObjects<T extends ResourceView & { readonly urn: string }>(resources: readonly T[]): readonly T[] {
  const resolved = resources.map((resource) => {
    const inputs = unknownKubernetesObject(resource) ? recordedInputs(resource.urn) : undefined;
    if (inputs === undefined) {
      return resource;
    }
    // A PolicyResource's asType hands out its properties too: the inputs now, like `props`.
    const policyResource = resource as Partial<Pick<PolicyResource, "isType" | "asType">>;
    const asType = policyResource.isType && {
      asType: ((resourceClass: unknown) =>
        policyResource.isType!(resourceClass as never) ? inputs : undefined) as PolicyResource["asType"],
    };
    return { ...resource, props: inputs, ...asType };
  });
  const unknown = resolved.filter(unknownKubernetesObject);
  if (unknown.length > 0) {
    throw notKnownYet(unknown);
  }
  return resolved;
}
