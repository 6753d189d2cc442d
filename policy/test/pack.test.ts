import { deepStrictEqual, match, notStrictEqual, strictEqual } from "assert";
import { existsSync, readdirSync, readFileSync } from "fs";
import { basename, join } from "path";
import { policies } from "../policies";
import { policyDir } from "./harness";

const policiesDir = join(policyDir, "policies");
const libDir = join(policiesDir, "lib");

const typeScriptFiles = (dir: string) =>
  readdirSync(dir)
    .filter((file) => file.endsWith(".ts"))
    .map((file) => join(dir, file));

/** The policy modules: every file beside the pack's list (index.ts), helpers live in lib/. */
const policyModules = typeScriptFiles(policiesDir).filter((file) => basename(file) !== "index.ts");

/** The relative module specifiers a source file imports. */
const relativeImports = (file: string) => [...readFileSync(file, "utf8").matchAll(/\bfrom\s+"(\.[^"]*)"/g)].map((m) => m[1]);

describe("policy pack structure", () => {
  it("has unique kebab-case policy names, none reserved, and no enforcementLevel in a configSchema", () => {
    const names = policies.map((p) => p.name);
    deepStrictEqual([...new Set(names)], names);
    for (const policy of policies) {
      match(policy.name, /^[a-z0-9]+(-[a-z0-9]+)*$/);
      notStrictEqual(policy.name, "all");
      strictEqual(policy.configSchema?.properties.enforcementLevel, undefined, policy.name);
      strictEqual(typeof policy.description, "string");
    }
    strictEqual(policies.length, 15);
  });

  it("constructs the PolicyPack only in policy/index.ts", () => {
    const sources = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
        entry.isDirectory()
          ? entry.name === "node_modules"
            ? []
            : sources(join(dir, entry.name))
          : entry.name.endsWith(".ts")
            ? [join(dir, entry.name)]
            : [],
      );
    const constructing = sources(policyDir).filter((file) => /new\s+PolicyPack\s*\(/.test(readFileSync(file, "utf8")));
    deepStrictEqual(constructing, [join(policyDir, "index.ts")]);
  });

  // The layout of pulumi/compliance-policies: a policy is found by its name, and changing one policy
  // cannot change another through an import.
  it("keeps each policy in its own module under policies/, named as the policy", () => {
    const pack = new Set<unknown>(policies);
    const found = policyModules.map((file) => {
      const exported = Object.values(require(file) as Record<string, unknown>).filter((value) => pack.has(value));
      strictEqual(exported.length, 1, `${basename(file)} exports ${exported.length} policies of the pack`);
      const policy = exported[0] as (typeof policies)[number];
      strictEqual(basename(file), `${policy.name}.ts`);
      return policy.name;
    });
    deepStrictEqual(found.sort(), policies.map((p) => p.name).sort());
  });

  // Besides each other, lib/ modules may read the contract the sample app shares with the program (its
  // variable names and labels), so the pack cannot drift from what the program deploys.
  it("lets policy modules import only policies/lib/, and lib/ no policy module but the app's contract", () => {
    for (const file of policyModules) {
      for (const specifier of relativeImports(file)) {
        match(specifier, /^\.\/lib\/[a-z0-9-]+$/, `${basename(file)} imports ${specifier}`);
      }
    }
    for (const file of typeScriptFiles(libDir)) {
      for (const specifier of relativeImports(file)) {
        match(specifier, /^(\.\/[a-z0-9-]+|\.\.\/\.\.\/\.\.\/sample-app\/src\/contract)$/, `lib/${basename(file)} imports ${specifier}`);
      }
    }
  });

  it("has one test file per policy in policy/test, named as the policy", () => {
    const missing = policies.map((p) => `${p.name}.test.ts`).filter((file) => !existsSync(join(__dirname, file)));
    deepStrictEqual(missing, []);
  });
});
