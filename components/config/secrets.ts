// The secret settings. They are read through Pulumi's secret outputs and never through the schema,
// so no problem can show their value: a problem says only whether one is unset or in plain text.
import * as pulumi from "@pulumi/pulumi";
import { Problem, Resolved } from "./problems";
import type { ConfigSource, ParsedSettings } from "./schema";

const githubTokenKey = "githubToken";
/** Secret settings in the project's namespace; the schema skips them. */
export const projectSecretKeys = [githubTokenKey];

/** Reads a secret by its full key, `namespace:key`; undefined when it is unset. */
export type SecretReader = (key: string) => pulumi.Output<string> | undefined;

/** The secrets the program passes on, as secret outputs. */
export interface SecretSettings {
  /**
   * DOKS API token, from the stack or DIGITALOCEAN_TOKEN; empty on kind, where it is not read. Read here only
   * so a missing token is reported with the other problems: the `digitalocean` provider reads it itself, and
   * nothing else in the program gets it.
   */
  readonly digitaloceanToken: pulumi.Output<string>;
  /** Token `flux bootstrap github` pushes with; empty when unset. */
  readonly githubToken: pulumi.Output<string>;
}

/** The secrets the chosen cluster and Flux mode need, each refused when given in plain text. */
export function resolveSecrets(parsed: ParsedSettings, source: ConfigSource, secret: SecretReader): Resolved<SecretSettings> {
  const problems: Problem[] = [];
  const setWith = (key: string) => `set it with \`pulumi config set --secret ${key} <value>\``;
  const read = (key: string, requiredFor?: string) => {
    if (source.values[key] !== undefined && !source.secretKeys.includes(key)) {
      problems.push({ key, value: "(plain text)", allowed: `must be a secret; ${setWith(key)}` });
    }
    const value = secret(key);
    if (!value && requiredFor) {
      problems.push({ key, value: "(unset)", allowed: `required for ${requiredFor}; ${setWith(key)}` });
    }
    return value ?? pulumi.output("");
  };
  const s = parsed.values;
  let digitaloceanToken = pulumi.output("");
  if (s.clusterKind === "doks") {
    digitaloceanToken =
      process.env.DIGITALOCEAN_TOKEN && source.values["digitalocean:token"] === undefined
        ? pulumi.secret(process.env.DIGITALOCEAN_TOKEN)
        : read("digitalocean:token", "clusterKind=doks (or set DIGITALOCEAN_TOKEN)");
  }
  const githubToken = read(
    `${parsed.project}:${githubTokenKey}`,
    s.fluxMode === "bootstrap-github" ? "fluxMode=bootstrap-github" : undefined,
  );
  return { settings: { digitaloceanToken, githubToken }, problems };
}
