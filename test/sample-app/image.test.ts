// The sample app's Dockerfile against the app's contract: a Dockerfile cannot read
// contract-values.json, so what it states about the app is checked here.
import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { DockerfileParser, type Instruction } from "dockerfile-ast";
import { ENV, HTTP_PORT, METRICS_PORT } from "../../sample-app/src/contract";

const DOCKERFILE = path.resolve(__dirname, "..", "..", "sample-app", "Dockerfile");

const dockerfile = DockerfileParser.parse(readFileSync(DOCKERFILE, "utf8"));

/** The instructions of the image that ships: the last build stage. */
function shippedStage(): Instruction[] {
  const all = dockerfile.getInstructions();
  const from = all.map((i) => i.getKeyword()).lastIndexOf("FROM");
  return all.slice(from);
}

describe("sample-app/Dockerfile", () => {
  it("exposes the ports the app listens on by default (dashboard/API, metrics), and no other", () => {
    const exposed = shippedStage()
      .filter((i) => i.getKeyword() === "EXPOSE")
      .flatMap((i) => i.getArguments().map((a) => a.getValue()));
    assert.deepEqual(exposed, [String(HTTP_PORT), String(METRICS_PORT)]);
  });

  it("sets none of the app's settings: the program sets them on the pod, from the contract", () => {
    const appVariables = new Set<string>(Object.values(ENV));
    const set = dockerfile
      .getENVs()
      .flatMap((e) => e.getProperties().map((p) => p.getName()))
      .filter((name) => appVariables.has(name));
    assert.deepEqual(set, [], "app settings the image sets");
  });
});
