// Where the cluster runs, kind on this machine or DigitalOcean Kubernetes, and whether the Kafka
// pools fit on its nodes.
import { z } from "zod";
import type { KafkaSettings } from "./kafka";
import { pinned } from "./pinned";
import { Problems, Resolved } from "./problems";
import type { ParsedSettings } from "./schema";
import { bool, dnsLabel, enumOf, nonNegativeInt, positiveInt } from "./validators";

/** A kind cluster on this machine (stack dev). */
export interface KindSettings {
  /** Which provider: kind. */
  readonly kind: "kind";
  /** Worker nodes besides the control plane. */
  readonly workers: number;
  /** Pinned kindest/node image. */
  readonly nodeImage: string;
}

/** A DigitalOcean Kubernetes cluster (stack do). */
export interface DoksSettings {
  /** Which provider: DigitalOcean Kubernetes. */
  readonly kind: "doks";
  /** DigitalOcean region slug, e.g. ams3. */
  readonly region: string;
  /** Droplet size slug of the node pool. */
  readonly nodeSize: string;
  /** Node count (the minimum when autoscaling). */
  readonly nodeCount: number;
  /** Let DOKS add nodes up to maxNodes. */
  readonly autoscale: boolean;
  /** Upper bound when autoscaling. */
  readonly maxNodes: number;
  /** Highly available control plane. */
  readonly ha: boolean;
  /** DigitalOcean Container Registry the sample-app image is pushed to. */
  readonly registryName: string;
  /** Create the registry (an account has at most one) or use an existing one. */
  readonly createRegistry: boolean;
  /** Delete the cluster's volumes (and load balancers) with it, instead of leaving them billed. */
  readonly destroyVolumes: boolean;
}

/** The Kubernetes cluster everything else runs on. */
export interface ClusterSettings {
  /** Cluster name: the kind cluster or the DOKS cluster. */
  readonly name: string;
  /** Kubernetes version: exact for kind, a MAJOR.MINOR prefix or DO slug for DOKS. */
  readonly kubernetesVersion: string;
  /** Provider-specific settings. */
  readonly provider: KindSettings | DoksSettings;
}

/** The cluster's settings and their schema. */
export const clusterShape = {
  clusterKind: enumOf(["kind", "doks"]).default("kind"),
  clusterName: dnsLabel.optional(),
  // Its default and its form depend on clusterKind, checked below.
  kubernetesVersion: z.string().optional(),
  kindWorkers: nonNegativeInt(8).default(1),
  doRegion: z
    .string()
    .regex(/^[a-z]{3}\d$/, { error: "must be a DigitalOcean region slug such as ams3, fra1, nyc1" })
    .default("ams3"),
  doNodeSize: z
    .string()
    .regex(/^[a-z0-9-]+$/, { error: "must be a Droplet size slug such as s-4vcpu-8gb" })
    .default("s-4vcpu-8gb"),
  doNodeCount: positiveInt("node count").optional(),
  doAutoscale: bool.default(false),
  doMaxNodes: positiveInt("node count").optional(),
  doHa: bool.default(false),
  doRegistryName: dnsLabel.optional(),
  doRegistryCreate: bool.default(true),
};

/**
 * The cluster, with its nodes checked against the Kafka pools that must fit on them.
 */
export function resolveCluster(parsed: ParsedSettings, kafka: KafkaSettings): Resolved<ClusterSettings> {
  const s = parsed.values;
  const problems = new Problems(parsed);
  const doks = s.clusterKind === "doks";
  const kubernetesVersion = s.kubernetesVersion ?? (doks ? "1.35" : pinned.kubernetes);
  if (doks && !/^\d+\.\d+(\.\d+-do\.\d+)?$/.test(kubernetesVersion)) {
    problems.refuse("kubernetesVersion", "must be a MAJOR.MINOR prefix (e.g. 1.35) or a DigitalOcean slug (e.g. 1.35.1-do.0)");
  }
  if (!doks && !/^\d+\.\d+\.\d+$/.test(kubernetesVersion)) {
    problems.refuse("kubernetesVersion", "must be an exact version MAJOR.MINOR.PATCH for kind, e.g. 1.35.0");
  }
  const name = s.clusterName ?? `kafka-${parsed.stack}`.toLowerCase().replace(/[^a-z0-9-]/g, "-");

  let provider: KindSettings | DoksSettings;
  if (doks) {
    const nodeCount = s.doNodeCount ?? Math.max(3, kafka.brokerReplicas);
    const maxNodes = s.doMaxNodes ?? nodeCount;
    if (nodeCount < kafka.brokerReplicas) {
      problems.refuse("doNodeCount", `must be ≥ brokerReplicas (${kafka.brokerReplicas}) so each broker can sit on its own node`);
    }
    if (kafka.nodePools === "separate" && kafka.brokerAntiAffinity && nodeCount < kafka.controllerReplicas) {
      problems.refuse(
        "doNodeCount",
        `must be ≥ controllerReplicas (${kafka.controllerReplicas}) so each controller can sit on its own node`,
      );
    }
    if (s.doAutoscale && maxNodes < nodeCount) problems.refuse("doMaxNodes", `must be ≥ doNodeCount (${nodeCount})`);
    if (!s.doAutoscale) problems.refuseGiven(["doMaxNodes"], "only applies with doAutoscale=true");
    if (!s.doRegistryName)
      problems.refuse(
        "doRegistryName",
        "required for clusterKind=doks: the DigitalOcean Container Registry the sample-app image is pushed to",
      );
    provider = {
      kind: "doks",
      region: s.doRegion,
      nodeSize: s.doNodeSize,
      nodeCount,
      autoscale: s.doAutoscale,
      maxNodes,
      ha: s.doHa,
      registryName: s.doRegistryName ?? "",
      createRegistry: s.doRegistryCreate,
      destroyVolumes: s.deleteVolumesOnDestroy,
    };
  } else {
    problems.refuseGiven(
      Object.keys(clusterShape).filter((k) => k.startsWith("do")),
      "only applies to clusterKind=doks",
    );
    // kind keeps pods off its control-plane node once there are workers.
    const schedulable = s.kindWorkers === 0 ? 1 : s.kindWorkers;
    const spread = kafka.nodePools === "combined" ? kafka.brokerReplicas : Math.max(kafka.brokerReplicas, kafka.controllerReplicas);
    if (kafka.brokerAntiAffinity && spread > schedulable) {
      problems.refuse(
        "brokerAntiAffinity",
        `needs one node per ${kafka.nodePools === "combined" ? "broker" : "broker and per controller"} (${spread}), ` +
          `but kind has ${schedulable} schedulable node(s); raise kindWorkers to ${spread} or turn it off`,
      );
    }
    provider = {
      kind: "kind",
      workers: s.kindWorkers,
      nodeImage: pinned.kindNodeImages[kubernetesVersion] ?? `kindest/node:v${kubernetesVersion}`,
    };
  }
  return { settings: { name, kubernetesVersion, provider }, problems: problems.found };
}
