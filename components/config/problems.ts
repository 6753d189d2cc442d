// Every resolver reports in the same shape, so index.ts can put all problems into one error and no
// resolver can forget to hide a secret's value.
import type { ParsedSettings } from "./schema";

/** One refused value. */
export interface Problem {
  /** The full key, `namespace:key`, with the path into a list or object where there is one. */
  readonly key: string;
  /** The value as shown to the user: JSON, `(unset)`, `(plain text)` or `[secret]`, never a secret's value. */
  readonly value: string;
  /** What is wrong with it and what is allowed. */
  readonly allowed: string;
}

/** What a resolver returns: its typed settings, meaningful only when it found no problem. */
export interface Resolved<T> {
  /** The settings the components take. */
  readonly settings: T;
  /** Every problem found, in the order found. */
  readonly problems: readonly Problem[];
}

/** A problem as one line of the error. */
export const describeProblem = (p: Problem): string => `${p.key} = ${p.value}: ${p.allowed}`;

/** A value set with --secret is never echoed, not even under a misspelt key. */
export function shownValue(fullKey: string, value: unknown, secretKeys: readonly string[]): string {
  if (secretKeys.includes(fullKey)) return "[secret]";
  return value === undefined ? "(unset)" : JSON.stringify(value);
}

/** Collects one resolver's problems with the project's settings. */
export class Problems {
  /** Problems found so far, in the order found. */
  readonly found: Problem[] = [];

  constructor(private readonly parsed: ParsedSettings) {}

  /** Refuses the setting `key`, showing the value the stack file gives it, else its default. */
  refuse(key: string, allowed: string): void {
    const fullKey = `${this.parsed.project}:${key}`;
    const value = this.parsed.given[key] ?? (this.parsed.values as Record<string, unknown>)[key];
    this.found.push({ key: fullKey, value: shownValue(fullKey, value, this.parsed.secretKeys), allowed });
  }

  /** Refuses each of `keys` the stack file sets, for settings that mean nothing in the setup it chose. */
  refuseGiven(keys: readonly string[], allowed: string): void {
    for (const key of keys.filter((k) => this.parsed.given[k] !== undefined)) this.refuse(key, allowed);
  }
}

/** Thrown with every problem found, each naming the key, the value and what is allowed. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(
      `Invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
        problems.map((p) => `  - ${p}`).join("\n"),
    );
    this.name = "ConfigError";
  }
}
