import { deepStrictEqual, strictEqual } from "assert";
import { strimziRelease } from "../policies/strimzi-operator-release";
import { devConfig, doConfig } from "./configs";
import { helmRelease, helmRepositoryRelease, ociRepository } from "./fixtures";
import { checkResource, messages } from "./harness";

const digest = `sha256:${"a1".repeat(32)}`;

describe("policy strimzi-operator-release", () => {
  it("passes an OCIRepository pinned by exact tag, exact semver or digest", async () => {
    for (const ref of [{ tag: "1.2.0" }, { semver: "1.2.0" }, { digest }, { tag: "latest", digest }]) {
      deepStrictEqual(messages(await checkResource(strimziRelease, ociRepository(ref), doConfig)), [], JSON.stringify(ref));
    }
  });

  it("reports an OCIRepository whose ref is not one exact version", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ tag: "latest" }, 'spec.ref.tag is "latest", not an exact version (no ranges, no *, no x)'],
      [{ semver: ">=1.2.0" }, 'spec.ref.semver is ">=1.2.0", not an exact version (no ranges, no *, no x)'],
      [{ semver: "1.2.x" }, 'spec.ref.semver is "1.2.x", not an exact version (no ranges, no *, no x)'],
      [{ semver: "*", tag: "1.2.0" }, 'spec.ref.semver is "*", not an exact version (no ranges, no *, no x)'],
      [{}, "spec.ref.tag is not set, so the latest chart is installed"],
    ];
    for (const [ref, problem] of cases) {
      deepStrictEqual(messages(await checkResource(strimziRelease, ociRepository(ref), doConfig)), [
        `OCIRepository flux-system/strimzi-chart: chart version ${problem}`,
      ]);
    }
    deepStrictEqual(messages(await checkResource(strimziRelease, ociRepository({ digest: "sha256:abc" }), doConfig)), [
      'OCIRepository flux-system/strimzi-chart: spec.ref.digest "sha256:abc" is not a sha256 digest',
    ]);
  });

  it("passes a HelmRepository release with an exact version", async () => {
    deepStrictEqual(messages(await checkResource(strimziRelease, helmRepositoryRelease("1.2.0"), doConfig)), []);
  });

  it("reports a HelmRepository release with a range, a wildcard or no version", async () => {
    for (const [version, problem] of [
      ["^1.2.0", 'is "^1.2.0", not an exact version (no ranges, no *, no x)'],
      ["*", 'is "*", not an exact version (no ranges, no *, no x)'],
      ["1.x", 'is "1.x", not an exact version (no ranges, no *, no x)'],
      ["1.2", 'is "1.2", not an exact version (no ranges, no *, no x)'],
      [undefined, "is not set, so the latest chart is installed"],
    ]) {
      deepStrictEqual(messages(await checkResource(strimziRelease, helmRepositoryRelease(version), doConfig)), [
        `HelmRelease flux-system/strimzi-operator: chart version spec.chart.spec.version ${problem}`,
      ]);
    }
  });

  it("passes the chartRef release with operator replicas set or left at the chart default", async () => {
    deepStrictEqual(messages(await checkResource(strimziRelease, helmRelease(), doConfig)), []);
    deepStrictEqual(messages(await checkResource(strimziRelease, helmRelease({ values: { watchNamespaces: ["kafka"] } }), devConfig)), []);
  });

  it("reports operator replicas below minOperatorReplicas", async () => {
    deepStrictEqual(messages(await checkResource(strimziRelease, helmRelease({ values: { replicas: 0 } }), doConfig)), [
      "HelmRelease flux-system/strimzi-operator: operator replicas (spec.values.replicas) 0, below minOperatorReplicas 1",
    ]);
  });

  it("does not apply to other charts and their sources", async () => {
    const other = await checkResource(strimziRelease, ociRepository({ tag: "latest" }, "oci://ghcr.io/example/charts/podinfo"), doConfig);
    strictEqual(other.notApplicable, "only applies to the strimzi-kafka-operator HelmRelease and its OCIRepository");
    strictEqual(
      (await checkResource(strimziRelease, helmRelease({ values: { replicas: 0 } }, "podinfo"), doConfig)).notApplicable,
      "only applies to the strimzi-kafka-operator HelmRelease and its OCIRepository",
    );
  });
});
