// Runs policies the way the Pulumi engine and @pulumi/policy's analyzer server do, without starting the
// server: the config is reconciled like the CLI's ReconcilePolicyPackConfig (schema defaults, then
// `all`, then per-policy values) and the argument objects are shaped like those server.js builds.
import Ajv, { ValidateFunction } from "ajv";
import { readFileSync } from "fs";
import { join } from "path";
import {
  EnforcementLevel,
  Policies,
  PolicyResource,
  PolicyResourceOptions,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
  unknownCheckingProxy,
  UnknownValueError,
} from "@pulumi/policy";
import { forgetInputs, recordInputs } from "../policies/lib/inputs";

/** A resource as a test declares it. */
export interface TestResource {
  /** Pulumi type token. */
  readonly type: string;
  /** Pulumi resource name. */
  readonly name: string;
  /** Inputs (for Kubernetes objects, the object as sent): what resource policies see. */
  readonly props: Record<string, any>;
  /** Outputs, what stack policies see, when they differ from the inputs (a first preview has none). */
  readonly outputs?: Record<string, any>;
  /**
   * `false`: the analyzer was never shown this resource's inputs, so a stack policy has only its outputs
   * (by default every resource went through Analyze before the stack policies, as in a preview).
   */
  readonly analyzed?: false;
}

/** The resources as a stack's first preview hands them to stack policies: Kubernetes objects without outputs. */
export const firstPreview = (resources: readonly TestResource[]): TestResource[] =>
  resources.map((r) => (r.type.startsWith("kubernetes:") ? { ...r, outputs: {} } : r));

/** The resources with their inputs never shown to the analyzer (see {@link TestResource.analyzed}). */
export const unanalyzed = (resources: readonly TestResource[]): TestResource[] => resources.map((r) => ({ ...r, analyzed: false }));

/** A reported violation. */
export interface Violation {
  /** The message passed to reportViolation. */
  readonly message: string;
  /** URN passed with it (stack policies); undefined for resource policies. */
  readonly urn?: string;
}

/** What running one policy produced. */
export interface Outcome {
  /** Violations in report order. */
  readonly violations: Violation[];
  /** The reason given to `notApplicable`, if the policy declared itself not applicable. */
  readonly notApplicable?: string;
  /** The message of an `UnknownValueError` the policy threw: the engine turns it into an advisory notice. */
  readonly notKnownYet?: string;
}

/** The effective config of one policy after reconciliation. */
export interface PolicyConfig {
  /** Effective enforcement level. */
  readonly enforcementLevel: EnforcementLevel;
  /** Config properties `getConfig()` returns. */
  readonly properties: Record<string, unknown>;
}

/** Effective config of every policy of the pack, by policy name. */
export type PackConfig = ReadonlyMap<string, PolicyConfig>;

/** The pack's own default level (policy/index.ts). */
const PACK_ENFORCEMENT_LEVEL: EnforcementLevel = "mandatory";
const LEVELS: EnforcementLevel[] = ["advisory", "mandatory", "remediate", "disabled"];

export const policyDir = join(__dirname, "..");

/** Path of the shipped config file for a stack. */
export const configPath = (stack: string) => join(policyDir, "config", `${stack}.json`);

/** Reads a `--policy-pack-config` file (the stack's shipped one when given a stack name). */
export function readConfigFile(stackOrPath: string): unknown {
  const path = stackOrPath.endsWith(".json") ? stackOrPath : configPath(stackOrPath);
  return JSON.parse(readFileSync(path, "utf8"));
}

const ajv = new Ajv({ allErrors: true, strict: true });
const validators = new WeakMap<object, ValidateFunction>();

/** Compiles a schema once per owner (a policy, or the policy list): compiling dominates the run time. */
function compiled(owner: object, schema: () => object): ValidateFunction {
  const known = validators.get(owner);
  if (known) {
    return known;
  }
  const validate = ajv.compile(schema());
  validators.set(owner, validate);
  return validate;
}

/**
 * JSON schema of a whole `--policy-pack-config` file for these policies. Stricter than the CLI, which
 * ignores unknown policy names and unknown properties: here a typo (`minBroker`) fails instead of
 * silently leaving the default in force.
 */
export function configFileSchema(policies: Policies): object {
  const level = { enum: LEVELS };
  const entry = (properties: object) => ({
    anyOf: [level, { type: "object", properties: { ...properties, enforcementLevel: level }, additionalProperties: false }],
  });
  return {
    type: "object",
    additionalProperties: false,
    properties: Object.fromEntries([
      ["all", entry({})],
      ...policies.map((policy) => [policy.name, entry(policy.configSchema?.properties ?? {})]),
    ]),
  };
}

/**
 * The effective config of every policy for a config file's content, as the CLI computes it (schema
 * defaults, then `all`, then the policy's entry) and validates it (each policy's `configSchema`).
 * Throws with every problem listed when the file or the result is invalid.
 */
export function reconcileConfig(policies: Policies, file: unknown = {}): PackConfig {
  const validateFile = compiled(policies, () => configFileSchema(policies));
  if (!validateFile(file)) {
    throw new Error(`invalid policy pack config: ${ajv.errorsText(validateFile.errors)}`);
  }
  const given = file as Record<string, EnforcementLevel | Record<string, unknown>>;
  const levelOf = (entry: unknown) =>
    typeof entry === "string"
      ? (entry as EnforcementLevel)
      : (entry as { enforcementLevel?: EnforcementLevel } | undefined)?.enforcementLevel;
  const result = new Map<string, PolicyConfig>();
  for (const policy of policies) {
    const entry = given[policy.name];
    const { enforcementLevel: _level, ...props } = typeof entry === "object" ? entry : {};
    const defaults = Object.entries(policy.configSchema?.properties ?? {})
      .filter(([, schema]) => schema.default !== undefined)
      .map(([key, schema]) => [key, schema.default]);
    const properties: Record<string, unknown> = { ...Object.fromEntries(defaults), ...props };
    const validate = compiled(policy, () => ({ type: "object", ...policy.configSchema }));
    const valid: boolean = validate(properties);
    if (!valid) {
      throw new Error(`invalid config for policy ${policy.name}: ${ajv.errorsText(validate.errors)}`);
    }
    const enforcementLevel = levelOf(entry) ?? levelOf(given.all) ?? policy.enforcementLevel ?? PACK_ENFORCEMENT_LEVEL;
    result.set(policy.name, { enforcementLevel, properties });
  }
  return result;
}

class NotApplicable extends Error {
  constructor(readonly reason: string | undefined) {
    super(reason ?? "Policy does not apply");
  }
}

const options: PolicyResourceOptions = {
  protect: false,
  ignoreChanges: [],
  aliases: [],
  additionalSecretOutputs: [],
  customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
};

const urnOf = (resource: TestResource) => `urn:pulumi:test::kafka-on-k8s::${resource.type}::${resource.name}`;

/** server.js's isTypeOf: a resource class matches by its `__pulumiType`. */
const isTypeOf = (type: string, resourceClass: unknown) => (resourceClass as { __pulumiType?: string }).__pulumiType === type;

const notApplicable = (reason?: string): never => {
  throw new NotApplicable(reason);
};

/** The config `getConfig()` returns for a policy. */
function configOf(policy: { name: string }, config: PackConfig): Record<string, unknown> {
  const entry = config.get(policy.name);
  if (!entry) {
    throw new Error(`no config for policy ${policy.name}; reconcile with the policy included`);
  }
  return { ...entry.properties };
}

async function collect(run: (report: (message: string, urn?: string) => void) => unknown): Promise<Outcome> {
  const violations: Violation[] = [];
  try {
    await run((message, urn) => violations.push(urn === undefined ? { message } : { message, urn }));
  } catch (error) {
    if (error instanceof NotApplicable) {
      return { violations, notApplicable: error.reason ?? "" };
    }
    // As server.js does: a value not known during preview skips the policy with an advisory notice.
    if (error instanceof UnknownValueError) {
      return { violations, notKnownYet: (error as Error).message };
    }
    throw error;
  }
  return { violations };
}

/** Runs every validation of a resource policy against one resource. */
export function checkResource(policy: ResourceValidationPolicy, resource: TestResource, config: PackConfig): Promise<Outcome> {
  const props = unknownCheckingProxy(resource.props) as Record<string, any>;
  const args: ResourceValidationArgs = {
    type: resource.type,
    props,
    urn: urnOf(resource),
    name: resource.name,
    opts: options,
    stackTags: new Map(),
    isType: (resourceClass) => isTypeOf(resource.type, resourceClass),
    asType: ((resourceClass: unknown) => (isTypeOf(resource.type, resourceClass) ? props : undefined)) as ResourceValidationArgs["asType"],
    getConfig: <T extends object>() => configOf(policy, config) as T,
    notApplicable,
  };
  const validations = ([] as unknown[]).concat(policy.validateResource ?? []) as ((
    a: ResourceValidationArgs,
    r: (m: string) => void,
  ) => unknown)[];
  return collect(async (report) => {
    for (const validate of validations) {
      await validate(args, (message: string) => report(message));
    }
  });
}

/** Runs a stack policy against all given resources. */
export function checkStack(policy: StackValidationPolicy, resources: readonly TestResource[], config: PackConfig): Promise<Outcome> {
  // In a preview the analyzer is shown every resource's inputs (Analyze) before the stack policies run,
  // and records them (policy/host/analyzer-host.ts); this run starts afresh with these resources' inputs.
  forgetInputs();
  for (const resource of resources.filter((r) => r.analyzed !== false)) {
    recordInputs(urnOf(resource), unknownCheckingProxy(resource.props));
  }
  const policyResources: PolicyResource[] = resources.map((resource) => {
    const props = unknownCheckingProxy(resource.outputs ?? resource.props) as Record<string, any>;
    return {
      type: resource.type,
      props,
      urn: urnOf(resource),
      name: resource.name,
      opts: options,
      dependencies: [],
      propertyDependencies: {},
      isType: (resourceClass) => isTypeOf(resource.type, resourceClass),
      asType: ((resourceClass: unknown) => (isTypeOf(resource.type, resourceClass) ? props : undefined)) as PolicyResource["asType"],
    };
  });
  const args: StackValidationArgs = {
    resources: policyResources,
    stackTags: new Map(),
    getConfig: <T extends object>() => configOf(policy, config) as T,
    notApplicable,
  };
  return collect((report) => policy.validateStack(args, report));
}

/** A violation of a whole pack run, with the policy and its effective level. */
export interface PackViolation {
  /** Policy name. */
  readonly policy: string;
  /** Effective enforcement level. */
  readonly level: EnforcementLevel;
  /** The message. */
  readonly message: string;
}

/**
 * Runs the whole pack as a preview would: every enabled resource policy on every resource, then every
 * enabled stack policy once.
 */
export async function runPack(policies: Policies, resources: readonly TestResource[], config: PackConfig): Promise<PackViolation[]> {
  const found: PackViolation[] = [];
  for (const policy of policies) {
    const level = config.get(policy.name)?.enforcementLevel ?? PACK_ENFORCEMENT_LEVEL;
    if (level === "disabled") {
      continue;
    }
    const outcomes =
      "validateStack" in policy
        ? [await checkStack(policy, resources, config)]
        : await Promise.all(resources.map((resource) => checkResource(policy, resource, config)));
    for (const outcome of outcomes) {
      found.push(...outcome.violations.map((v) => ({ policy: policy.name, level, message: v.message })));
      if (outcome.notKnownYet !== undefined) {
        found.push({ policy: policy.name, level: "advisory", message: `can't run policy during preview: ${outcome.notKnownYet}` });
      }
    }
  }
  return found;
}

/** The messages of an outcome, failing if the policy declared itself not applicable. */
export function messages(outcome: Outcome): string[] {
  if (outcome.notApplicable !== undefined) {
    throw new Error(`policy was not applicable: ${outcome.notApplicable}`);
  }
  return outcome.violations.map((violation) => violation.message);
}
