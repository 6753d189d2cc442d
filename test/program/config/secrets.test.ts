import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { parseSettings } from "../../../components/config/schema";
import { resolveSecrets } from "../../../components/config/secrets";
import { StackName } from "../../support/program";
import { problemLines, sourceOf } from "./parsed";

const valueOf = (output: pulumi.Output<string>) => new Promise<string>((resolve) => output.apply(resolve));

/** resolveSecrets with the secret reader a stack would give, recording which keys it read. */
function secrets(stack: StackName, overrides: Record<string, unknown>, secretValues: Record<string, string>) {
  const source = sourceOf(stack, overrides, secretValues);
  const read: string[] = [];
  const resolved = resolveSecrets(parseSettings(source).parsed!, source, (key) => {
    read.push(key);
    return source.values[key] === undefined ? undefined : pulumi.secret(source.values[key]);
  });
  return { ...resolved, read };
}

describe("config secrets resolver", () => {
  const envToken = process.env.DIGITALOCEAN_TOKEN;
  beforeEach(() => {
    delete process.env.DIGITALOCEAN_TOKEN;
  });
  after(() => {
    if (envToken === undefined) delete process.env.DIGITALOCEAN_TOKEN;
    else process.env.DIGITALOCEAN_TOKEN = envToken;
  });

  it("reads the DOKS token from the stack, and on kind does not read it at all", async () => {
    const doks = secrets("do", {}, { "digitalocean:token": "dop_stack" });
    assert.deepStrictEqual(doks.problems, []);
    assert.strictEqual(await valueOf(doks.settings.digitaloceanToken), "dop_stack");
    assert.ok(!secrets("dev", {}, {}).read.includes("digitalocean:token"));
  });

  it("takes DIGITALOCEAN_TOKEN when the stack sets no token", async () => {
    process.env.DIGITALOCEAN_TOKEN = "dop_env";
    const doks = secrets("do", {}, {});
    assert.deepStrictEqual(doks.problems, []);
    assert.strictEqual(await valueOf(doks.settings.digitaloceanToken), "dop_env");
  });

  it("refuses a missing DOKS token, and a GitHub token only when bootstrap-github needs it", () => {
    assert.deepStrictEqual(problemLines(secrets("do", {}, {})), [
      "digitalocean:token = (unset): required for clusterKind=doks (or set DIGITALOCEAN_TOKEN); set it with `pulumi config set --secret digitalocean:token <value>`",
    ]);
    assert.deepStrictEqual(secrets("dev", {}, {}).problems, []);
    assert.deepStrictEqual(problemLines(secrets("dev", { fluxMode: "bootstrap-github" }, {})), [
      "kafka-on-k8s:githubToken = (unset): required for fluxMode=bootstrap-github; set it with `pulumi config set --secret kafka-on-k8s:githubToken <value>`",
    ]);
  });

  it("refuses a token set in plain text without showing it", () => {
    const lines = problemLines(secrets("dev", { githubToken: "ghp_plain_value" }, {}));
    assert.deepStrictEqual(lines, [
      "kafka-on-k8s:githubToken = (plain text): must be a secret; set it with `pulumi config set --secret kafka-on-k8s:githubToken <value>`",
    ]);
  });
});
