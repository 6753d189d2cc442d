import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { resolveFlux } from "../../../components/config/flux";
import { pinned } from "../../../components/config/pinned";
import { parsedSettings, problemLines } from "./parsed";

const token = pulumi.output("ghp_test");
const bootstrap = { fluxMode: "bootstrap-github", githubOwner: "acme", githubRepository: "fleet" };

describe("config flux resolver", () => {
  it("resolves flux install with the pinned version and no GitHub settings", () => {
    const { settings, problems } = resolveFlux(parsedSettings("dev"), token);
    assert.deepStrictEqual(problems, []);
    assert.deepStrictEqual(settings, { mode: "install", version: pinned.flux, github: undefined });
  });

  it("resolves bootstrap-github with the stack's path, the default branch and the token it is given", () => {
    const { settings, problems } = resolveFlux(parsedSettings("dev", bootstrap), token);
    assert.deepStrictEqual(problems, []);
    assert.deepStrictEqual(settings.github, {
      owner: "acme",
      repository: "fleet",
      branch: "main",
      path: "clusters/dev",
      personal: true,
      token,
    });
  });

  it("refuses bootstrap-github without an owner or repository", () => {
    assert.deepStrictEqual(problemLines(resolveFlux(parsedSettings("dev", { fluxMode: "bootstrap-github" }), token)), [
      "kafka-on-k8s:githubOwner = (unset): required for fluxMode=bootstrap-github: the GitHub user or organisation",
      "kafka-on-k8s:githubRepository = (unset): required for fluxMode=bootstrap-github: the repository Flux commits its manifests to",
    ]);
  });

  it("refuses GitHub settings with flux install", () => {
    assert.deepStrictEqual(problemLines(resolveFlux(parsedSettings("dev", { githubOwner: "acme", githubPath: "x" }), token)), [
      'kafka-on-k8s:githubOwner = "acme": only applies to fluxMode=bootstrap-github',
      'kafka-on-k8s:githubPath = "x": only applies to fluxMode=bootstrap-github',
    ]);
  });
});
