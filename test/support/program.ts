// Runs the real program (index.ts) under pulumi.runtime.setMocks with a committed stack file, and
// records every resource it declares: inputs as sent, the resolved provider, parent, dependsOn, URN and aliases.
import * as pulumi from "@pulumi/pulumi";
import { readFileSync } from "fs";
import { join } from "path";
import { parse } from "yaml";

export const root = join(__dirname, "..", "..");
export const project = "kafka-on-k8s";
export type StackName = "dev" | "do";

/** One resource the program declared. */
export interface DeclaredResource {
  /** Type token, e.g. kubernetes:kafka.strimzi.io/v1:Kafka. */
  readonly type: string;
  /** Pulumi resource name. */
  readonly name: string;
  /** Inputs as the provider receives them (a Kubernetes object for Kubernetes resources). */
  readonly inputs: Record<string, any>;
  /** Provider reference the engine would use, "urn::id", for custom resources. */
  readonly provider?: string;
  /** `type::name` of the parent, if any. */
  readonly parent?: string;
  /** `type::name` of each explicit dependsOn. */
  readonly dependsOn: string[];
  /** Whether this is a custom (provider) resource rather than a component. */
  readonly custom: boolean;
  /** Dotted paths of inputs that reached the engine as secrets (e.g. "environment"). */
  readonly secretPaths: string[];
  /** Input paths the engine leaves alone after creation (the `ignoreChanges` option). */
  readonly ignoreChanges: string[];
  /** The resource's URN. */
  readonly urn: string;
  /** URNs its `aliases` option stands for: a state holding one of them is this resource, not a replacement. */
  readonly aliasUrns: string[];
}

/** Everything one mocked `pulumi up` declared, and its stack outputs. */
export interface ProgramRun {
  /** Declared resources, in registration order. */
  readonly resources: DeclaredResource[];
  /** Resolved stack outputs. */
  readonly outputs: Record<string, unknown>;
  /** Names of stack outputs that are secrets. */
  readonly secretOutputs: string[];
  /** Every invoke the program made (its token and inputs). */
  readonly invokes: { token: string; inputs: Record<string, any> }[];
}

/** The Docker config the mocked registry-credentials resource hands out. */
export const registryCredentials = '{"auths":{"registry.digitalocean.com":{"auth":"cmVnaXN0cnktc2NvcGVkOnNob3J0LWxpdmVk"}}}';

/** A stack file's config as Pulumi hands it to the program: every value a string, objects as JSON. */
function stackConfig(stack: StackName): Record<string, string> {
  const file = parse(readFileSync(join(root, `Pulumi.${stack}.yaml`), "utf8")) as { config: Record<string, unknown> };
  return Object.fromEntries(Object.entries(file.config).map(([k, v]) => [k, typeof v === "object" ? JSON.stringify(v) : String(v)]));
}

/** Secrets a user sets with `pulumi config set --secret`; never committed, so the tests supply them. */
export const testSecrets: Record<StackName, Record<string, string>> = {
  dev: {},
  do: { "digitalocean:token": "dop_v1_test_token_not_real" },
};

export const fakeKubeconfig = "apiVersion: v1\nkind: Config\nclusters: []\n# mocked kind kubeconfig\n";

// How the SDK marks a secret value on the wire.
const secretSig = "4dabf18193072939515e22adb298388d";
const secretMarker = "1b47061264138c4ac30d75fd1eb44270";

/** Replaces wire-format secrets by their values and lists where they were. */
function unwrapSecrets(value: unknown, path: string, found: string[]): unknown {
  if (Array.isArray(value)) return value.map((v, i) => unwrapSecrets(v, `${path}[${i}]`, found));
  if (typeof value !== "object" || value === null) return value;
  const obj = value as Record<string, unknown>;
  if (obj[secretSig] === secretMarker) {
    found.push(path);
    return unwrapSecrets(obj.value, path, []);
  }
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, unwrapSecrets(v, path ? `${path}.${k}` : k, found)]));
}

const mocks = (recorded: DeclaredResource[], invokes: ProgramRun["invokes"]): pulumi.runtime.Mocks => ({
  newResource(args) {
    const secretPaths: string[] = [];
    const inputs = unwrapSecrets(args.inputs, "", secretPaths) as Record<string, any>;
    const state: Record<string, any> = { ...inputs };
    if (args.type === "command:local:Command") state.stdout = inputs.create?.includes("kind get kubeconfig") ? fakeKubeconfig : "";
    if (args.type === "digitalocean:index/kubernetesCluster:KubernetesCluster") {
      state.endpoint = "https://0a1b2c.k8s.ondigitalocean.com";
      state.kubeConfigs = [{ clusterCaCertificate: "Y2EtY2VydA==", rawConfig: "unused", token: "short-lived" }];
    }
    if (args.type === "digitalocean:index/containerRegistryDockerCredentials:ContainerRegistryDockerCredentials") {
      state.dockerCredentials = registryCredentials;
    }
    const resource = recorded.find((r) => r.type === args.type && r.name === args.name);
    if (resource) Object.assign(resource, { inputs, secretPaths, provider: args.provider, custom: args.custom ?? true });
    return { id: `${args.name}-id`, state };
  },
  call(args) {
    invokes.push({ token: args.token, inputs: args.inputs });
    if (args.token === "digitalocean:index/getKubernetesCluster:getKubernetesCluster") {
      // What DOKS's /credentials answers: a token for this cluster only, with its expiry.
      const host = "https://0a1b2c.k8s.ondigitalocean.com";
      return { name: args.inputs.name, kubeConfigs: [{ host, clusterCaCertificate: "Y2EtY2VydA==", token: "doks-cluster-scoped-token" }] };
    }
    if (args.token === "digitalocean:index/getKubernetesVersions:getKubernetesVersions") {
      return { latestVersion: `${String(args.inputs.versionPrefix)}1-do.0`, validVersions: [] };
    }
    throw new Error(`unexpected invoke ${args.token}`);
  },
});

const key = (r: pulumi.Resource, known: Map<pulumi.Resource, DeclaredResource>) => {
  const d = known.get(r);
  return d ? `${d.type}::${d.name}` : "(unknown)";
};

/**
 * A stack file's config plus secrets, with `overrides` replacing settings (keys without a namespace
 * are the project's; `undefined` removes a key).
 */
export function stackValues(stack: StackName, overrides: Record<string, unknown>, secrets: Record<string, string>): Record<string, string> {
  const values: Record<string, string> = { ...stackConfig(stack), ...secrets };
  for (const [k, v] of Object.entries(overrides)) {
    const full = k.includes(":") ? k : `${project}:${k}`;
    if (v === undefined) delete values[full];
    else values[full] = typeof v === "object" ? JSON.stringify(v) : String(v);
  }
  return values;
}

/**
 * Runs index.ts for a stack with the config of stackValues; `secrets` replace the test secrets.
 * Rejects with the program's error (e.g. ConfigError) if it throws while declaring. `program` replaces
 * index.ts, for tests of components the program does not combine that way; it returns the stack outputs.
 */
export async function runProgram(
  stack: StackName,
  overrides: Record<string, unknown> = {},
  secrets: Record<string, string> = testSecrets[stack],
  program?: () => Record<string, unknown>,
): Promise<ProgramRun> {
  const config = stackValues(stack, overrides, secrets);
  const recorded: DeclaredResource[] = [];
  const invokes: ProgramRun["invokes"] = [];
  const known = new Map<pulumi.Resource, DeclaredResource>();
  // URNs as the engine forms them: the mocks' own keep only the parent's last type, and the root stack's.
  const qualifiedTypes = new Map<pulumi.Resource, string>();
  const qualifiedType = (type: string, parent: pulumi.Resource | undefined) => {
    const parentType = parent && qualifiedTypes.get(parent);
    return parentType ? `${parentType}$${type}` : type;
  };
  const urnOf = (qualified: string, name: string) => `urn:pulumi:${stack}::${project}::${qualified}::${name}`;
  // As the SDK resolves an alias: a field left out is the resource's own, a parent of undefined the stack.
  const aliasUrn = (alias: pulumi.Input<string | pulumi.Alias>, args: pulumi.ResourceTransformationArgs) => {
    if (typeof alias === "string") return alias;
    if (pulumi.Output.isInstance(alias)) throw new Error(`${args.name}: an alias given as an Output is not resolved here`);
    const a = alias as pulumi.Alias;
    const parent = "parent" in a ? a.parent : args.opts.parent;
    if (parent !== undefined && !pulumi.Resource.isInstance(parent))
      throw new Error(`${args.name}: an alias parent given as a URN is not resolved here`);
    return urnOf(qualifiedType(String(a.type ?? args.type), parent), String(a.name ?? args.name));
  };
  await pulumi.runtime.setMocks(mocks(recorded, invokes), project, stack, false);
  pulumi.runtime.setAllConfig(config, Object.keys(secrets));
  const indexPath = require.resolve(join(root, "index"));
  delete require.cache[indexPath];
  // As the language host does: the program runs inside the root Stack resource.
  let exportsOf: Record<string, unknown> = {};
  await pulumi.runtime.runInPulumiStack(async () => {
    // Transformations see each resource's options (parent, dependsOn, aliases) before it registers; mocks do not.
    pulumi.runtime.registerStackTransformation((args) => {
      const declared: DeclaredResource = {
        type: args.type,
        name: args.name,
        inputs: {},
        custom: true,
        secretPaths: [],
        ignoreChanges: args.opts.ignoreChanges ?? [],
        parent: args.opts.parent ? key(args.opts.parent, known) : undefined,
        dependsOn: ([] as unknown[])
          .concat(args.opts.dependsOn ?? [])
          .filter((d): d is pulumi.Resource => pulumi.Resource.isInstance(d))
          .map((d) => key(d, known)),
        urn: urnOf(qualifiedType(args.type, args.opts.parent), args.name),
        aliasUrns: (args.opts.aliases ?? []).map((alias) => aliasUrn(alias, args)),
      };
      qualifiedTypes.set(args.resource, qualifiedType(args.type, args.opts.parent));
      known.set(args.resource, declared);
      recorded.push(declared);
      return undefined;
    });
    try {
      exportsOf = program ? program() : (require(indexPath) as Record<string, unknown>);
    } catch (e) {
      // Lets tests check that a refused configuration declared nothing.
      throw Object.assign(e as Error, { declared: recorded.map((r) => `${r.type}::${r.name}`) });
    }
    return exportsOf;
  });

  const outputs: Record<string, unknown> = {};
  const secretOutputs: string[] = [];
  for (const [name, value] of Object.entries(exportsOf)) {
    const output: pulumi.Output<unknown> = pulumi.output(value);
    outputs[name] = await new Promise((resolve) => output.apply(resolve));
    if (await pulumi.isSecret(output)) secretOutputs.push(name);
  }
  // Registrations finish asynchronously after the outputs resolve; wait until the count settles.
  for (let last = -1, stable = 0; stable < 5; await new Promise((r) => setTimeout(r, 10))) {
    const settled = recorded.filter((r) => Object.keys(r.inputs).length > 0 || !r.custom).length;
    stable = settled === last ? stable + 1 : 0;
    last = settled;
  }
  return { resources: recorded, outputs, secretOutputs, invokes };
}

/** The Kubernetes objects of a run, as they would be sent to the API server. */
export function kubernetesObjects(run: ProgramRun): Record<string, any>[] {
  return run.resources
    .filter((r) => r.type.startsWith("kubernetes:") && !r.type.startsWith("kubernetes:helm.sh") && r.inputs.kind)
    .map((r) => r.inputs);
}

/** Resources of one type token. */
export function ofType(run: ProgramRun, type: string): DeclaredResource[] {
  return run.resources.filter((r) => r.type === type);
}
