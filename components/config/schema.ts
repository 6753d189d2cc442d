// One schema assembled from each concern's own settings, so that a new setting is written once, in
// its concern's file, and unknown keys are still refused against the complete list.
import { z } from "zod";
import { appShape } from "./app";
import { clusterShape } from "./cluster";
import { fluxShape } from "./flux";
import { kafkaShape } from "./kafka";
import { monitoringShape } from "./monitoring";
import { Problem, shownValue } from "./problems";
import { projectSecretKeys } from "./secrets";
import { strimziShape } from "./strimzi";

/** What the program needs from Pulumi's config: plain values by key, secrets as outputs. */
export interface ConfigSource {
  /** Project name (the config namespace). */
  readonly project: string;
  /** Stack name. */
  readonly stack: string;
  /** Every config value, keyed `namespace:key`, as Pulumi stores them (objects as JSON text). */
  readonly values: Record<string, string>;
  /** Keys whose values are secrets. */
  readonly secretKeys: string[];
}

// zod reports in key order: this order, the README's, keeps the problems in the order of the reference.
const settingsSchema = z
  .object({
    ...clusterShape,
    ...fluxShape,
    ...strimziShape,
    ...kafkaShape,
    ...appShape,
    ...monitoringShape,
  })
  .strict();

/** Every setting after the schema: typed, with the defaults that depend on no other setting. */
export type Settings = z.infer<typeof settingsSchema>;

/** The stack's settings as every resolver reads them. */
export interface ParsedSettings {
  /** Project name (the config namespace). */
  readonly project: string;
  /** Stack name. */
  readonly stack: string;
  /** Every setting, typed, defaults filled in. */
  readonly values: Settings;
  /** The settings the stack file sets, as text, by key without the namespace: what "only applies" checks look at. */
  readonly given: Readonly<Record<string, string>>;
  /** Full keys of the values set with --secret. */
  readonly secretKeys: readonly string[];
}

/** The schema's answer: `parsed` is missing when a value does not fit, and the resolvers cannot run. */
export interface SchemaResult {
  /** The settings, when every value fits the schema. */
  readonly parsed?: ParsedSettings;
  /** Unknown keys and values the schema refuses. */
  readonly problems: readonly Problem[];
}

/** Checks the project's settings against the schema and fills in their defaults. */
export function parseSettings(source: ConfigSource): SchemaResult {
  const prefix = `${source.project}:`;
  const shown = (key: string, value: unknown) => shownValue(`${prefix}${key}`, value, source.secretKeys);
  const known = new Set<string>([...Object.keys(settingsSchema.shape), ...projectSecretKeys]);
  const given: Record<string, string> = {};
  const problems: Problem[] = [];
  for (const [fullKey, value] of Object.entries(source.values)) {
    if (!fullKey.startsWith(prefix)) continue;
    const key = fullKey.slice(prefix.length);
    if (!known.has(key)) {
      problems.push({
        key: fullKey,
        value: shown(key, value),
        allowed: `unknown setting; known settings: ${[...known].sort().join(", ")}`,
      });
    } else if (!projectSecretKeys.includes(key)) {
      given[key] = value;
    }
  }
  const result = settingsSchema.safeParse(given);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const [key, ...rest] = issue.path.map(String);
      const where = rest.length ? `${prefix}${key}[${rest.join("].[")}]` : `${prefix}${key}`;
      problems.push({ key: where, value: shown(key, given[key]), allowed: issue.message });
    }
    return { problems };
  }
  return {
    parsed: { project: source.project, stack: source.stack, values: result.data, given, secretKeys: source.secretKeys },
    problems,
  };
}
