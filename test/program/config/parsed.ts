// The resolvers' input built as parseConfig builds it, from a committed stack file with some keys
// replaced, so each concern's tests start from a stack that is known to be good.
import * as assert from "assert";
import { describeProblem, Resolved } from "../../../components/config/problems";
import { ConfigSource, ParsedSettings, parseSettings } from "../../../components/config/schema";
import { project, StackName, stackValues } from "../../support/program";

/** The config source of a stack file with `overrides` (undefined removes a key) and `secrets` set with --secret. */
export function sourceOf(stack: StackName, overrides: Record<string, unknown> = {}, secrets: Record<string, string> = {}): ConfigSource {
  return { project, stack, values: stackValues(stack, overrides, secrets), secretKeys: Object.keys(secrets) };
}

/** The settings of sourceOf(...) after the schema; fails the test if the schema refuses them. */
export function parsedSettings(
  stack: StackName,
  overrides: Record<string, unknown> = {},
  secrets: Record<string, string> = {},
): ParsedSettings {
  const { parsed, problems } = parseSettings(sourceOf(stack, overrides, secrets));
  assert.ok(parsed, `the schema refused:\n${problems.map(describeProblem).join("\n")}`);
  return parsed;
}

/** A resolver's problems as the error's lines show them. */
export const problemLines = (resolved: Resolved<unknown>): string[] => resolved.problems.map(describeProblem);
