// The upstream CRDs the program's custom resources must satisfy. CI points KAFKA_K8S_CRD_DIR at
// ../shared/crds; elsewhere the same pinned release files are fetched once into a cache.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "fs";
import { homedir } from "os";
import { join } from "path";
import Ajv, { ErrorObject, ValidateFunction } from "ajv";
import { parseAllDocuments } from "yaml";

export const crdDirVariable = "KAFKA_K8S_CRD_DIR";

/** Release files holding the CRDs, at the versions the program pins. */
const upstreamCrdSources: Record<string, string> = {
  "strimzi/strimzi-crds-1.2.0.yaml": "https://github.com/strimzi/strimzi-kafka-operator/releases/download/1.2.0/strimzi-crds-1.2.0.yaml",
  "flux/install-v2.9.4.yaml": "https://github.com/fluxcd/flux2/releases/download/v2.9.4/install.yaml",
  "keda/keda-2.20.2-crds.yaml": "https://github.com/kedacore/keda/releases/download/v2.20.2/keda-2.20.2-crds.yaml",
  "prometheus-operator/monitoring.coreos.com_podmonitors.yaml":
    "https://raw.githubusercontent.com/prometheus-operator/prometheus-operator/v0.93.1/example/prometheus-operator-crd/monitoring.coreos.com_podmonitors.yaml",
};

/** A CustomResourceDefinition, reduced to what validation needs. */
export interface Crd {
  readonly group: string;
  readonly kind: string;
  readonly plural: string;
  readonly versions: { readonly name: string; readonly served: boolean; readonly schema: Record<string, unknown> }[];
  /** The whole document, to apply to an API server. */
  readonly document: Record<string, any>;
  /** File it came from. */
  readonly file: string;
}

const cacheDir = () => join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "kafka-on-k8s", "crds");

async function fetchInto(dir: string): Promise<void> {
  for (const [file, url] of Object.entries(upstreamCrdSources)) {
    const target = join(dir, file);
    if (existsSync(target)) continue;
    mkdirSync(join(target, ".."), { recursive: true });
    const response = await fetch(url);
    if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status}`);
    writeFileSync(`${target}.part`, Buffer.from(await response.arrayBuffer()));
    renameSync(`${target}.part`, target);
  }
}

/**
 * The directory of CRD YAML files: $KAFKA_K8S_CRD_DIR, or the pinned upstream release files fetched
 * into ~/.cache/kafka-on-k8s/crds. Throws, naming both, when neither can be had.
 */
export async function crdDirectory(): Promise<string> {
  const fromEnv = process.env[crdDirVariable];
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`${crdDirVariable}=${fromEnv}: no such directory`);
    return fromEnv;
  }
  const dir = cacheDir();
  try {
    await fetchInto(dir);
  } catch (e) {
    throw new Error(
      `No CRDs: ${crdDirVariable} is unset and fetching the pinned upstream CRDs into ${dir} failed ` +
        `(${(e as Error).message}). Set ${crdDirVariable} to a directory of CRD YAML files (CI uses ../shared/crds).`,
      { cause: e },
    );
  }
  return dir;
}

const yamlFiles = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? yamlFiles(join(dir, e.name)) : /\.ya?ml$/.test(e.name) ? [join(dir, e.name)] : [],
  );

/** Every CRD in the directory (release bundles may hold other kinds too; only CRDs are kept). */
export async function loadCrds(): Promise<Crd[]> {
  const dir = await crdDirectory();
  const crds = yamlFiles(dir).flatMap((file) =>
    parseAllDocuments(readFileSync(file, "utf8"))
      .map((d) => d.toJS() as Record<string, any> | null)
      .filter((d): d is Record<string, any> => d?.kind === "CustomResourceDefinition")
      .map((d) => ({
        group: d.spec.group as string,
        kind: d.spec.names.kind as string,
        plural: d.spec.names.plural as string,
        versions: (d.spec.versions as any[]).map((v) => ({ name: v.name, served: v.served, schema: v.schema.openAPIV3Schema })),
        document: d,
        file,
      })),
  );
  if (crds.length === 0) throw new Error(`No CustomResourceDefinition in ${dir}`);
  return crds;
}

/**
 * A CRD schema as the API server applies it with fieldValidation=Strict: a field the schema does not
 * declare is an error unless the object preserves unknown fields (Strimzi's free-form `config` maps).
 */
function strict(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(strict);
  if (typeof schema !== "object" || schema === null) return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) out[k] = strict(v);
  const s = schema as Record<string, unknown>;
  if (s.type === "object" && s.properties && s.additionalProperties === undefined && !s["x-kubernetes-preserve-unknown-fields"]) {
    out.additionalProperties = false;
  }
  return out;
}

/** Validates objects against the served version of their CRD's openAPIV3Schema. */
export class CrdValidator {
  private readonly ajv = new Ajv({
    allErrors: true,
    // Kubernetes' own vocabulary (x-kubernetes-*, int-or-string) is not JSON Schema; CEL rules and
    // formats are the API server's to check (see test-apiserver/).
    strict: false,
    validateFormats: false,
  });
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(private readonly crds: Crd[]) {}

  /** The CRD for an apiVersion/kind, or undefined. */
  find(apiVersion: string, kind: string): { crd: Crd; version: Crd["versions"][number] } | undefined {
    const [group, version] = apiVersion.split("/");
    const crd = this.crds.find((c) => c.group === group && c.kind === kind);
    const served = crd?.versions.find((v) => v.name === version && v.served);
    return crd && served ? { crd, version: served } : undefined;
  }

  /** Errors for one object ("" paths are the root); throws when no served CRD version matches. */
  validate(object: Record<string, any>): ErrorObject[] {
    const found = this.find(object.apiVersion, object.kind);
    if (!found) throw new Error(`no served CRD version for ${object.apiVersion} ${object.kind}`);
    const id = `${object.apiVersion}/${object.kind}`;
    let validate = this.compiled.get(id);
    if (!validate) {
      validate = this.ajv.compile(strict(found.version.schema) as object);
      this.compiled.set(id, validate);
    }
    return validate(object) ? [] : [...(validate.errors ?? [])];
  }
}
