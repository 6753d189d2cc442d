// Validators and rules more than one concern applies, written once so they cannot drift apart.
import { gte, parse } from "semver";
import { z } from "zod";
import { type Chart, chartMinimums, pinned } from "./pinned";
import type { Problems } from "./problems";

// Pulumi hands every value over as text; an empty one would coerce to 0 and slip through as a number.
const numberText = (error: string) =>
  z.union([z.number(), z.string().trim().min(1, { error: "must not be empty" })]).pipe(z.coerce.number({ error }));
export const positiveInt = (what: string, max = 1_000) =>
  numberText(`must be a ${what}`)
    .refine(Number.isInteger, { error: `must be a whole number (${what})` })
    .refine((n) => n >= 1, { error: `must be ≥ 1 (${what})` })
    .refine((n) => n <= max, { error: `must be ≤ ${max} (${what})` });
export const nonNegativeInt = (max: number) =>
  numberText("must be a whole number ≥ 0")
    .refine((n) => Number.isInteger(n) && n >= 0, { error: "must be a whole number ≥ 0" })
    .refine((n) => n <= max, { error: `must be ≤ ${max}` });
// Only the two words the error names: zod's defaults would also take y/n, yes/no, on/off, 1/0, enabled/disabled.
export const bool = z.stringbool({ truthy: ["true"], falsy: ["false"], error: "must be true or false" });
// semver's parse also takes a leading "v", a pre-release and build metadata; none is an exact release.
export const semver = z.string().refine(
  (v) => {
    const version = parse(v);
    return version?.version === v && version.prerelease.length === 0;
  },
  { error: "must be an exact version MAJOR.MINOR.PATCH, e.g. 1.2.0", abort: true },
);
/** An exact version of `chart`, defaulting to its pin, refused below the lowest version the program can use. */
export const chartVersion = (chart: Chart) =>
  semver
    .refine((v) => gte(v, chartMinimums[chart].version), {
      error: `must be ≥ ${chartMinimums[chart].version}, ${chartMinimums[chart].reason}`,
    })
    .default(pinned[chart]);
export const quantity = z.string().regex(/^\d+(\.\d+)?(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$/, {
  error: "must be a Kubernetes quantity such as 10Gi or 500Mi",
});
export const dnsLabel = z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, {
  error: "must be a DNS label: lower-case letters, digits and '-', at most 63 characters",
});
export const enumOf = <T extends string>(values: readonly [T, ...T[]]) => z.enum(values, { error: `must be one of: ${values.join(", ")}` });
export const jsonText = <T extends z.ZodType>(schema: T) =>
  z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: "custom", message: "must be a YAML/JSON list or object" });
        return z.NEVER;
      }
    })
    .pipe(schema);

/** Namespaces the stack must not take over: Kubernetes' own and Flux's. */
export const reservedNamespaces = ["default", "kube-system", "kube-public", "kube-node-lease", "flux-system"];

/** Refuses `namespace` (the value of setting `key`) when it belongs to Kubernetes or Flux. */
export function refuseReservedNamespace(problems: Problems, key: string, namespace: string): void {
  if (reservedNamespaces.includes(namespace)) {
    problems.refuse(
      key,
      `must not be ${namespace}, which belongs to ${namespace === "flux-system" ? "Flux" : "Kubernetes"}; reserved: ${reservedNamespaces.join(", ")}`,
    );
  }
}

/** Refuses a min.insync.replicas that stops writes when one of the `rf` replicas is down, or that can never be met. */
export function refuseMinIsr(problems: Problems, key: string, minIsr: number, rf: number, label: string): void {
  if (rf > 1 && minIsr >= rf) {
    problems.refuse(
      key,
      `min.insync.replicas (${minIsr}) must be below the ${label} (${rf}) so that one broker may fail without stopping writes`,
    );
  } else if (minIsr > rf) {
    problems.refuse(key, `min.insync.replicas (${minIsr}) must be ≤ the ${label} (${rf})`);
  }
}
