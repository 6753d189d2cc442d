// The state passphrase and the cloud tokens decrypt and change real stacks: a workflow may read them only
// in a job that declares the `pr-preview` Environment, whose reviewers approve each run. A job without it
// sees repository and organisation secrets only, so a check there proves that none of them is one.
import * as assert from "assert";
import { readdirSync, readFileSync } from "fs";
import { join } from "path";
import { parse } from "yaml";
import { root } from "../support/program";

const environment = "pr-preview";
const workflowsDir = join(root, ".github", "workflows");

interface Job {
  readonly environment?: string | { readonly name: string };
  readonly steps?: { readonly name?: string; readonly env?: Record<string, string> }[];
}

const workflows = readdirSync(workflowsDir)
  .filter((f) => f.endsWith(".yml"))
  .map((file) => ({ file, jobs: (parse(readFileSync(join(workflowsDir, file), "utf8")) as { jobs: Record<string, Job> }).jobs }));
const jobsOf = () => workflows.flatMap(({ file, jobs }) => Object.entries(jobs).map(([id, job]) => ({ where: `${file} ${id}`, job })));
const envName = (job: Job) => (typeof job.environment === "string" ? job.environment : job.environment?.name);
// `secrets.NAME != ''` yields "true" or "false", never the value: a presence check, not a read.
const presenceCheck = (name: string) => new RegExp(`secrets\\.${name}\\s*!=\\s*''`, "g");
const reads = (job: Job) => {
  const text = JSON.stringify(job);
  const names = [...text.matchAll(/secrets\.([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]);
  return [...new Set(names)].filter((name) => text.replace(presenceCheck(name), "").includes(`secrets.${name}`));
};
// Every secret the Environment's jobs use is an Environment secret; GITHUB_TOKEN is GitHub's own.
const environmentSecrets = () =>
  [...new Set(jobsOf().flatMap(({ job }) => (envName(job) === environment ? reads(job) : [])))].filter((s) => s !== "GITHUB_TOKEN");

describe("workflow secrets", () => {
  it("reads the Environment's secrets only in jobs that declare the Environment", () => {
    const secrets = environmentSecrets();
    assert.ok(secrets.includes("PULUMI_CONFIG_PASSPHRASE"), `the ${environment} jobs read ${secrets.join(", ")}`);
    const outside = jobsOf().flatMap(({ where, job }) =>
      envName(job) === environment
        ? []
        : reads(job)
            .filter((s) => secrets.includes(s))
            .map((s) => `${where} reads ${s}`),
    );
    assert.deepStrictEqual(outside, []);
  });

  it("fails a run in which one of them is readable without the Environment (a repository or organisation secret)", () => {
    const guarded = jobsOf()
      .filter(({ job }) => envName(job) === undefined)
      .flatMap(({ job }) => (job.steps ?? []).flatMap((s) => Object.values(s.env ?? {})))
      .join("\n");
    const unguarded = environmentSecrets().filter((s) => !presenceCheck(s).test(guarded));
    assert.deepStrictEqual(unguarded, [], "a job without an Environment must check that these are empty there");
  });

  it("tells the reader to set them in the Environment only", () => {
    const docs = ["README.md", "docs/ci-wiring.md"].map((f) => readFileSync(join(root, f), "utf8")).join("\n");
    const sets = [...docs.matchAll(/^\s*gh secret set (\S+)(.*)$/gm)].filter(([, name]) => environmentSecrets().includes(name));
    assert.ok(sets.length > 0, "the docs show no `gh secret set` for the Environment's secrets");
    assert.deepStrictEqual(
      sets.filter(([, , rest]) => !rest.includes(`--env ${environment}`)).map(([line]) => line.trim()),
      [],
      `every \`gh secret set\` of them must name --env ${environment}`,
    );
  });

  it("gives the end-to-end run a passphrase that can decrypt nothing committed", () => {
    // The run makes its own passphrase; a secure value in the dev stack file would need the real one.
    assert.doesNotMatch(readFileSync(join(root, "Pulumi.dev.yaml"), "utf8"), /secure:/);
    assert.doesNotMatch(JSON.stringify(workflows.find((w) => w.file === "e2e.yml")!.jobs), /secrets\./);
  });
});
