// What config the pack accepts for a stack. The per-stack config file comes from the branch under review, and
// the Pulumi CLI applies whatever `--policy-pack-config` says (including `"all": "disabled"`) before any
// policy runs: a policy never sees its own enforcement level (`getConfig()` strips it), and a disabled
// policy is never called. The one place the pack sees the whole config is the analyzer's Configure call,
// which the engine makes while loading the pack; analyzer-host.ts refuses there what this module finds.
import { EnforcementLevel, Policies, PolicyPackConfig } from "@pulumi/policy";
import { existsSync, readFileSync } from "fs";
import { isDeepStrictEqual } from "util";
import { join } from "path";

/** One policy's config as the engine sends it to Configure, after reconciling defaults and files. */
export interface ReceivedPolicyConfig {
  /** The level the policy would run at. */
  readonly enforcementLevel: EnforcementLevel;
  /** The properties `getConfig()` would return. */
  readonly properties: Record<string, unknown>;
}

/** The per-stack config files, `policy/config/<stack>.json`. */
export const configDir = join(__dirname, "..", "config");

/**
 * The stack's name from the engine's ConfigureStack call (a plain stack name, or `org/project/stack`).
 * The engine does not put it in the pack's environment (seen with 3.274.1: no `PULUMI_STACK`).
 */
export function stackName(name: string | undefined): string | undefined {
  return name?.split("/").pop() || undefined;
}

/**
 * The stack's own config file, `policy/config/<stack>.json`, or undefined when it has none: such a stack is
 * checked with the schema defaults, which are the production values.
 */
export function ownConfig(stack: string | undefined): PolicyPackConfig | undefined {
  // A stack name is letters, digits, '-', '_' and '.'; anything else cannot name a file here.
  if (stack === undefined || !/^[A-Za-z0-9_.-]+$/.test(stack)) {
    return undefined;
  }
  const path = join(configDir, `${stack}.json`);
  return existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as PolicyPackConfig) : undefined;
}

/** Each policy's properties for a config file's content: schema defaults, then the file's values. */
function propertiesFor(policies: Policies, file: PolicyPackConfig): Map<string, Record<string, unknown>> {
  return new Map(
    policies.map((policy) => {
      const defaults = Object.entries(policy.configSchema?.properties ?? {})
        .filter(([, schema]) => schema.default !== undefined)
        .map(([key, schema]) => [key, schema.default]);
      const entry = file[policy.name];
      const { enforcementLevel: _level, ...given } = typeof entry === "object" ? entry : {};
      return [policy.name, { ...Object.fromEntries(defaults), ...given }];
    }),
  );
}

/** Each property of `received` that differs from `expected`, as `[policy, key, given, expected]`. */
function differences(expected: Map<string, Record<string, unknown>>, received: ReadonlyMap<string, ReceivedPolicyConfig>) {
  const found: [string, string, unknown, unknown][] = [];
  for (const [name, properties] of expected) {
    const given = received.get(name)?.properties ?? {};
    for (const key of new Set([...Object.keys(properties), ...Object.keys(given)])) {
      if (!isDeepStrictEqual(given[key], properties[key])) {
        found.push([name, key, given[key], properties[key]]);
      }
    }
  }
  return found;
}

/**
 * Why the pack refuses a config for `stack`, one line per problem (none: accepted):
 * - a replica rule (`replicaRules`) at any level but mandatory: the config may not lower them;
 * - properties that are neither the stack's own thresholds (`policy/config/<stack>.json`) nor the strict
 *   defaults, so a stack cannot borrow another stack's relaxed file, and a stack without a file of its own
 *   (or one the engine did not name) is checked with the strict defaults. Stricter is always accepted.
 * Enforcement levels of the other policies are the config's to choose.
 */
export function configRefusals(
  policies: Policies,
  replicaRules: readonly string[],
  stack: string | undefined,
  received: ReadonlyMap<string, ReceivedPolicyConfig>,
): string[] {
  const refusals: string[] = [];
  for (const name of replicaRules) {
    const level = received.get(name)?.enforcementLevel;
    if (level !== undefined && level !== "mandatory") {
      refusals.push(`${name}: enforcementLevel "${level}", but the replica rules are mandatory on every stack`);
    }
  }
  const own = ownConfig(stack);
  const strict = propertiesFor(policies, {});
  if (differences(strict, received).length > 0) {
    const source = own
      ? `policy/config/${stack}.json`
      : `the strict defaults (stack ${stack ?? "(not named)"} has no config file of its own)`;
    for (const [name, key, given, expected] of differences(own ? propertiesFor(policies, own) : strict, received)) {
      refusals.push(`${name}: ${key} ${JSON.stringify(given)}, but ${source} sets ${JSON.stringify(expected)}`);
    }
  }
  return refusals;
}
