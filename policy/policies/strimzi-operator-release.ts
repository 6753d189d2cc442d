import { ResourceValidationPolicy } from "@pulumi/policy";
import * as semver from "semver";
import { describe, HELM_RELEASE, OCI_REPOSITORY, ResourceView, toInteger } from "./lib/resources";

/** Config of `strimzi-operator-release`. */
export interface StrimziReleaseConfig {
  /** Name of the Strimzi operator Helm chart. */
  readonly chartName: string;
  /** Regular expression matched against names of HelmReleases that use `spec.chartRef`. */
  readonly releaseNamePattern: string;
  /** Minimum operator replicas (`spec.values.replicas`, chart default 1). */
  readonly minOperatorReplicas: number;
}

/** The Strimzi chart's own default for `replicas`. */
const CHART_DEFAULT_REPLICAS = 1;

/** An OCI manifest digest, which pins content even more tightly than a version. */
const DIGEST = /^sha256:[a-f0-9]{64}$/;

/** Why a version string is not one exact version, or undefined when it is. */
function notExact(value: unknown): string | undefined {
  if (value === undefined || value === "") {
    return "is not set, so the latest chart is installed";
  }
  // semver.valid accepts exactly one version: ranges, `*`, `1.x` and tags like `latest` are null.
  return typeof value === "string" && semver.valid(value) !== null
    ? undefined
    : `is ${JSON.stringify(value)}, not an exact version (no ranges, no *, no x)`;
}

/** Violations of an OCIRepository that serves the Strimzi chart; the version lives in `spec.ref`. */
function ociRepositoryViolations(repository: ResourceView): string[] {
  const ref = repository.props.spec?.ref ?? {};
  // Flux gives the digest precedence over semver, and semver over tag.
  if (ref.digest !== undefined) {
    return DIGEST.test(ref.digest) ? [] : [`${describe(repository)}: spec.ref.digest ${JSON.stringify(ref.digest)} is not a sha256 digest`];
  }
  const [field, value] = ref.semver !== undefined ? ["semver", ref.semver] : ["tag", ref.tag];
  const problem = notExact(value);
  return problem === undefined ? [] : [`${describe(repository)}: chart version spec.ref.${field} ${problem}`];
}

/** Violations of the Strimzi HelmRelease: an inline chart's version, and the operator replicas. */
function helmReleaseViolations(release: ResourceView, config: StrimziReleaseConfig, inlineChart: boolean): string[] {
  const spec = release.props.spec ?? {};
  const violations: string[] = [];
  if (inlineChart) {
    const problem = notExact(spec.chart.spec.version);
    if (problem !== undefined) {
      violations.push(`${describe(release)}: chart version spec.chart.spec.version ${problem}`);
    }
  }
  const replicas = spec.values?.replicas === undefined ? CHART_DEFAULT_REPLICAS : toInteger(spec.values.replicas);
  if (Number.isNaN(replicas) || replicas < config.minOperatorReplicas) {
    violations.push(
      `${describe(release)}: operator replicas (spec.values.replicas) ${JSON.stringify(spec.values?.replicas)}, ` +
        `below minOperatorReplicas ${config.minOperatorReplicas}`,
    );
  }
  return violations;
}

/** Last path segment of an OCI URL, i.e. the chart name. */
function chartOfUrl(url: unknown): string | undefined {
  return typeof url === "string" ? url.replace(/\/+$/, "").split("/").pop() : undefined;
}

/**
 * 6. The Strimzi operator chart is pinned to one exact version and runs at least one operator replica.
 * The version sits either on the HelmRelease (`spec.chart.spec.version`, HelmRepository source) or on
 * the OCIRepository a `spec.chartRef` points to (`spec.ref.tag|semver|digest`); a resource policy sees
 * one object at a time, so the OCIRepository is recognised by its URL and a chartRef HelmRelease by
 * its name (`releaseNamePattern`).
 */
export const strimziRelease: ResourceValidationPolicy = {
  name: "strimzi-operator-release",
  description: "The Strimzi operator chart is pinned to an exact version and runs at least minOperatorReplicas replicas.",
  configSchema: {
    properties: {
      chartName: {
        type: "string",
        minLength: 1,
        default: "strimzi-kafka-operator",
        description: "Helm chart name of the Strimzi operator (also the last segment of its OCI URL).",
      },
      releaseNamePattern: {
        type: "string",
        minLength: 1,
        default: "strimzi",
        description: "Regular expression: a HelmRelease using spec.chartRef whose name matches installs Strimzi.",
      },
      minOperatorReplicas: {
        type: "integer",
        minimum: 1,
        default: 1,
        description: "Minimum Strimzi operator replicas (spec.values.replicas).",
      },
    },
  },
  validateResource: (args, reportViolation) => {
    const config = args.getConfig<StrimziReleaseConfig>();
    const spec = args.props.spec ?? {};
    let violations: string[];
    if (args.type === OCI_REPOSITORY && chartOfUrl(spec.url) === config.chartName) {
      violations = ociRepositoryViolations(args);
    } else if (args.type === HELM_RELEASE && spec.chart?.spec?.chart === config.chartName) {
      violations = helmReleaseViolations(args, config, true);
    } else if (
      args.type === HELM_RELEASE &&
      spec.chartRef !== undefined &&
      new RegExp(config.releaseNamePattern).test(args.props.metadata?.name ?? args.name)
    ) {
      violations = helmReleaseViolations(args, config, false);
    } else {
      return args.notApplicable(`only applies to the ${config.chartName} HelmRelease and its OCIRepository`);
    }
    violations.forEach((violation) => reportViolation(violation));
  },
};
