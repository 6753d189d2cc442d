// The schema alone: defaults, unknown keys and values it refuses, before any resolver runs.
import * as assert from "assert";
import { describeProblem } from "../../../components/config/problems";
import { parseSettings } from "../../../components/config/schema";
import { parsedSettings, sourceOf } from "./parsed";

describe("config schema", () => {
  it("fills in defaults and keeps what the stack file gives as text", () => {
    const parsed = parsedSettings("dev", { brokerReplicas: 1, kedaNamespace: undefined });
    assert.strictEqual(parsed.values.brokerReplicas, 1);
    assert.strictEqual(parsed.values.kedaNamespace, "keda");
    assert.strictEqual(parsed.given.brokerReplicas, "1");
    assert.strictEqual(parsed.given.kedaNamespace, undefined);
  });

  it("keeps secret settings out of the values the resolvers read", () => {
    const parsed = parsedSettings("dev", {}, { "kafka-on-k8s:githubToken": "ghp_secret" });
    assert.strictEqual(parsed.given.githubToken, undefined);
    assert.ok(!("githubToken" in parsed.values));
  });

  it("refuses an unknown key but still parses the rest, hiding the value of one set with --secret", () => {
    const { parsed, problems } = parseSettings(sourceOf("dev", { brokerReplica: 2 }, { "kafka-on-k8s:githubTokn": "ghp_secret" }));
    assert.ok(parsed);
    assert.deepStrictEqual(problems.map((p) => [p.key, p.value]).sort(), [
      ["kafka-on-k8s:brokerReplica", '"2"'],
      ["kafka-on-k8s:githubTokn", "[secret]"],
    ]);
    assert.match(problems[1].allowed, /^unknown setting; known settings: .*brokerReplicas.*githubToken/);
  });

  it("stops at values that do not fit, naming the path into a list", () => {
    const { parsed, problems } = parseSettings(sourceOf("dev", { brokerReplicas: "many", topics: [{ name: "t", partitions: 0 }] }));
    assert.strictEqual(parsed, undefined);
    assert.deepStrictEqual(
      problems.map((p) => p.key),
      ["kafka-on-k8s:brokerReplicas", "kafka-on-k8s:topics[0].[partitions]"],
    );
    assert.strictEqual(describeProblem(problems[0]), 'kafka-on-k8s:brokerReplicas = "many": must be a replica count');
  });
});
