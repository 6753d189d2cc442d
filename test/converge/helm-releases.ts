// FLUX STAND-IN, Helm part — not helm-controller or source-controller (neither builds here: their pinned
// modules are not served), but real Helm with the real upstream charts, which is what helm-controller runs:
//   - OCIRepository / HelmRepository: Ready when the URL is where upstream publishes the chart and, for an
//     OCI tag, that chart version exists (../shared/charts stands in for the registries); else Ready=False
//     with the reason, as source-controller reports a failed fetch;
//   - HelmRelease: resolves its chart from `chartRef` (OCIRepository url + ref.tag) or `chart.spec`
//     (HelmRepository url, chart, version), then `helm upgrade --install` with its releaseName,
//     targetNamespace, values and CRD policy, waiting for the release's workloads as helm-controller
//     does; Ready or Ready=False with Helm's own message. A new generation (values) or chart version
//     upgrades it; a failure is retried as often as `install/upgrade.remediation.retries` allows. Like
//     helm-controller it holds a finalizer, so deleting the HelmRelease uninstalls the release first.
// What differs from Flux: Helm stores the release in the target namespace (helm-controller stores it in
// the HelmRelease's own namespace by default); drift detection and tests are not run.
import { createHash } from "crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { ApiServer } from "../support/apiserver";
import { chartArchive, chartOfOci, helmRepositoryHas } from "../support/charts";
import { runCaptured } from "../support/run";

type Obj = Record<string, any>;

const finalizer = "finalizers.fluxcd.io";
/** Seconds between attempts of a failed release (helm-controller backs off similarly). */
const retryAfterSeconds = 20;

/** Where a source's chart comes from: the archive to install, or why there is none. */
export type Resolved = { readonly archive: string; readonly version: string } | { readonly error: string };

/** An OCIRepository's chart: its URL must be an upstream chart's and its tag a released version. */
export function resolveOci(source: Obj): Resolved {
  const chart = chartOfOci(source.spec.url);
  if (!chart) return { error: `${source.spec.url} is not where any chart this stack installs is published` };
  const version = source.spec.ref?.tag ?? "";
  const found = chartArchive(chart, version);
  return "missing" in found
    ? { error: `failed to pull ${source.spec.url}:${version}: ${found.missing}` }
    : { archive: found.path, version };
}

/** A chart from a HelmRepository: the repository must be upstream's and hold that chart at that exact version. */
export function resolveFromRepository(repository: Obj, chart: string, version: string): Resolved {
  if (!helmRepositoryHas(repository.spec.url, chart)) return { error: `no chart named ${chart} in repository ${repository.spec.url}` };
  const found = chartArchive(chart, version);
  return "missing" in found ? { error: found.missing } : { archive: found.path, version };
}

/** What the stand-in last did to one HelmRelease. */
interface Attempt {
  readonly generation: number;
  readonly version: string;
  readonly ok: boolean;
  readonly failures: number;
  readonly at: number;
  readonly releaseName: string;
  readonly namespace: string;
}

/** The API calls the stand-in makes, shared with the Strimzi part. */
export interface Api {
  list(group: string, version: string, plural: string): Promise<Obj[]>;
  /** Sets `status` (a merge patch of the status subresource) and the Ready condition. */
  setReady(
    group: string,
    version: string,
    plural: string,
    o: Obj,
    ready: boolean,
    reason: string,
    message: string,
    status?: Obj,
  ): Promise<void>;
  /** Merge-patches the object itself (finalizers). */
  patch(group: string, version: string, plural: string, o: Obj, patch: Obj): Promise<void>;
}

const sourceKinds = {
  OCIRepository: "ocirepositories",
  HelmRepository: "helmrepositories",
} as const;

/** Reconciles the Flux sources and HelmReleases with real Helm; call `tick` repeatedly. */
export class HelmReleases {
  private readonly attempts = new Map<string, Attempt>();
  private readonly digests = new Map<string, string>();
  private readonly helmHome = mkdtempSync(join(tmpdir(), "standin-helm-"));

  constructor(
    private readonly server: ApiServer,
    private readonly helm: string,
    private readonly api: Api,
    private readonly log: (line: string) => void,
  ) {}

  /** Removes Helm's scratch folders. */
  dispose(): void {
    rmSync(this.helmHome, { recursive: true, force: true });
  }

  private async runHelm(args: string[]): Promise<{ code: number; output: string }> {
    const env = {
      ...process.env,
      KUBECONFIG: this.server.kubeconfig,
      HELM_CACHE_HOME: join(this.helmHome, "cache"),
      HELM_CONFIG_HOME: join(this.helmHome, "config"),
      HELM_DATA_HOME: join(this.helmHome, "data"),
    };
    const run = await runCaptured(this.helm, args, { env });
    this.log(`helm ${args.slice(0, 3).join(" ")}: exit ${run.code} in ${run.seconds.toFixed(1)} s`);
    return { code: run.code, output: `${run.stdout}\n${run.stderr}`.trim() };
  }

  /** sha256 of a chart archive (read once: archives never change) or, for a Helm repository, of its URL. */
  private digestOf(archive: string | undefined, url: string): string {
    const key = archive ?? url;
    let digest = this.digests.get(key);
    if (!digest) {
      digest = `sha256:${createHash("sha256")
        .update(archive ? readFileSync(archive) : url)
        .digest("hex")}`;
      this.digests.set(key, digest);
    }
    return digest;
  }

  /** Readies the sources and returns them by `Kind/namespace/name`, each with its resolved chart (OCI) or itself (Helm repository). */
  private async sources(): Promise<Map<string, { object: Obj; oci?: Resolved; error?: string }>> {
    const found = new Map<string, { object: Obj; oci?: Resolved; error?: string }>();
    for (const [kind, plural] of Object.entries(sourceKinds)) {
      for (const o of await this.api.list("source.toolkit.fluxcd.io", "v1", plural)) {
        const oci = kind === "OCIRepository" ? resolveOci(o) : undefined;
        const error =
          oci && "error" in oci
            ? oci.error
            : kind === "HelmRepository" && !/^https:\/\//.test(o.spec.url)
              ? `${o.spec.url}: only the HTTPS repositories upstream publishes are known here`
              : undefined;
        // source-controller's artifact: the OCI chart's tag and digest, or a Helm repository's index digest.
        const digest = this.digestOf(oci && "archive" in oci ? oci.archive : undefined, o.spec.url);
        const revision = oci && "version" in oci ? `${oci.version}@${digest}` : digest;
        const current = o.status?.observedGeneration === o.metadata.generation && o.status?.artifact?.revision === revision;
        if (!current || error) {
          await this.api.setReady(
            "source.toolkit.fluxcd.io",
            "v1",
            plural,
            o,
            !error,
            error ? "FetchFailed" : "Succeeded",
            error ?? `stored artifact for revision '${revision}' (stand-in: from the pinned upstream chart archives)`,
            {
              url: o.spec.url,
              ...(error
                ? {}
                : {
                    artifact: {
                      revision,
                      digest,
                      path: `${kind.toLowerCase()}/${o.metadata.namespace}/${o.metadata.name}/${digest.slice(7)}.tar.gz`,
                      url: `http://source-controller.flux-system.svc/${kind.toLowerCase()}/${o.metadata.name}.tar.gz`,
                      lastUpdateTime: new Date().toISOString(),
                    },
                  }),
            },
          );
        }
        found.set(`${kind}/${o.metadata.namespace}/${o.metadata.name}`, { object: o, oci, error });
      }
    }
    return found;
  }

  /** The chart a HelmRelease asks for, or why it cannot be had. */
  private resolve(release: Obj, sources: Map<string, { object: Obj; oci?: Resolved; error?: string }>): Resolved {
    const ref = release.spec.chartRef ?? release.spec.chart?.spec?.sourceRef ?? {};
    const key = `${ref.kind}/${ref.namespace ?? release.metadata.namespace}/${ref.name}`;
    const source = sources.get(key);
    if (!source) return { error: `source ${key} not found` };
    if (source.error) return { error: `source ${key} is not ready: ${source.error}` };
    if (release.spec.chartRef) {
      if (!source.oci) return { error: `chartRef names ${ref.kind}, which is not an OCIRepository` };
      return source.oci;
    }
    const spec = release.spec.chart.spec;
    return resolveFromRepository(source.object, spec.chart, spec.version ?? "");
  }

  /** Installs, upgrades or uninstalls what changed since the last call. */
  async tick(): Promise<void> {
    const sources = await this.sources();
    const releases = await this.api.list("helm.toolkit.fluxcd.io", "v2", "helmreleases");
    for (const release of releases) {
      const uid: string = release.metadata.uid;
      if (release.metadata.deletionTimestamp) {
        await this.uninstall(release);
        continue;
      }
      if (!(release.metadata.finalizers ?? []).includes(finalizer)) {
        await this.api.patch("helm.toolkit.fluxcd.io", "v2", "helmreleases", release, {
          metadata: { finalizers: [...(release.metadata.finalizers ?? []), finalizer] },
        });
      }
      const chart = this.resolve(release, sources);
      const last = this.attempts.get(uid);
      const generation: number = release.metadata.generation;
      if ("error" in chart) {
        if (last?.ok === false && last.generation === generation && release.status?.conditions?.[0]?.message === chart.error) continue;
        this.attempts.set(uid, { ...this.attemptBase(release), generation, version: "", ok: false, failures: 0, at: Date.now() });
        await this.api.setReady("helm.toolkit.fluxcd.io", "v2", "helmreleases", release, false, "ArtifactFailed", chart.error);
        continue;
      }
      const upToDate = last && last.generation === generation && last.version === chart.version;
      if (upToDate && last.ok) continue;
      // Helm's own record decides, as for helm-controller: a release never deployed is (re)installed.
      const phase = release.status?.lastReleaseRevision ? "upgrade" : "install";
      const retries: number = release.spec[phase]?.remediation?.retries ?? 0;
      if (upToDate && (last.failures > retries || Date.now() - last.at < retryAfterSeconds * 1000)) continue;
      // helm-controller's install remediation: a failed install is uninstalled before the next attempt.
      if (phase === "install" && last && !last.ok)
        await this.runHelm(["uninstall", last.releaseName, "--namespace", last.namespace, "--ignore-not-found", "--wait"]);
      await this.install(release, chart, phase, upToDate ? last.failures : 0);
    }
  }

  private attemptBase(release: Obj): Pick<Attempt, "releaseName" | "namespace"> {
    return {
      releaseName: release.spec.releaseName ?? release.metadata.name,
      namespace: release.spec.targetNamespace ?? release.metadata.namespace,
    };
  }

  private async install(release: Obj, chart: { archive: string; version: string }, phase: "install" | "upgrade", failures: number) {
    const { releaseName, namespace } = this.attemptBase(release);
    const values = join(this.helmHome, `${release.metadata.uid}.values.json`);
    writeFileSync(values, JSON.stringify(release.spec.values ?? {}));
    const crds: string = release.spec[phase]?.crds ?? (phase === "install" ? "Create" : "Skip");
    // Helm itself creates a chart's CRDs on install only; helm-controller's CreateReplace also applies them
    // on upgrade, so a chart bump brings its new CRD versions.
    if (phase === "upgrade" && crds === "CreateReplace") {
      const shown = await this.runHelm(["show", "crds", chart.archive]);
      if (shown.code === 0 && shown.output.trim()) {
        const applied = await this.server.kubectl(["apply", "--server-side", "--force-conflicts", "-f", "-"], shown.output);
        if (applied.code !== 0) this.log(`applying ${releaseName}'s CRDs failed: ${applied.stderr}`);
      }
    }
    const timeout: string = release.spec.timeout ?? "5m";
    const result = await this.runHelm([
      "upgrade",
      "--install",
      releaseName,
      chart.archive,
      "--namespace",
      namespace,
      "--values",
      values,
      "--wait=watcher",
      "--timeout",
      timeout,
      ...(crds === "Skip" ? ["--skip-crds"] : []),
    ]);
    const ok = result.code === 0;
    const generation: number = release.metadata.generation;
    this.attempts.set(release.metadata.uid, {
      generation,
      version: chart.version,
      ok,
      failures: ok ? 0 : failures + 1,
      at: Date.now(),
      releaseName,
      namespace,
    });
    const verb = phase === "install" ? "Install" : "Upgrade";
    const status = ok ? await this.runHelm(["status", releaseName, "--namespace", namespace, "--output", "json"]) : undefined;
    const revision: number | undefined = status?.code === 0 ? JSON.parse(status.output).version : release.status?.lastReleaseRevision;
    await this.api.setReady(
      "helm.toolkit.fluxcd.io",
      "v2",
      "helmreleases",
      release,
      ok,
      ok ? `${verb}Succeeded` : `${verb}Failed`,
      ok
        ? `Helm ${phase} succeeded for release ${namespace}/${releaseName} with chart version ${chart.version}`
        : `Helm ${phase} failed for release ${namespace}/${releaseName} with chart version ${chart.version}: ${result.output.split("\n").slice(-5).join(" ")}`,
      {
        lastAttemptedRevision: chart.version,
        lastAttemptedGeneration: generation,
        lastAttemptedReleaseAction: phase,
        ...(revision ? { lastReleaseRevision: revision } : {}),
        [`${phase}Failures`]: ok ? 0 : failures + 1,
      },
    );
  }

  private async uninstall(release: Obj): Promise<void> {
    const { releaseName, namespace } = this.attemptBase(release);
    const result = await this.runHelm(["uninstall", releaseName, "--namespace", namespace, "--wait", "--ignore-not-found"]);
    if (result.code !== 0) {
      this.log(`uninstalling ${namespace}/${releaseName} failed (retrying): ${result.output}`);
      return;
    }
    this.attempts.delete(release.metadata.uid);
    await this.api.patch("helm.toolkit.fluxcd.io", "v2", "helmreleases", release, {
      metadata: { finalizers: (release.metadata.finalizers ?? []).filter((f: string) => f !== finalizer) },
    });
  }
}
