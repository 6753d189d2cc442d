// KafkaClient beside the program: a second client on the same KafkaCluster, which takes no argument
// about its clients' users, gets its own KafkaUser and ACLs and leaves the first client's alone.
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { loadConfig } from "../../components/config";
import { KafkaClient } from "../../components/kafkaClient";
import { KafkaCluster } from "../../components/kafkaCluster";
import { DeclaredResource, ofType, ProgramRun, runProgram, StackName, testSecrets } from "../support/program";

const userType = "kubernetes:kafka.strimzi.io/v1:KafkaUser";

/** The stack's Kafka cluster with the app's client and a second one that reads another group's topic. */
const twoClients = (stack: StackName) =>
  runProgram(stack, {}, testSecrets[stack], () => {
    const config = loadConfig();
    const operator = new pulumi.ComponentResource("test:index:OperatorStandIn", "operator");
    const cluster = new KafkaCluster("kafka", { settings: config.kafka, operator, clients: [] });
    const app = new KafkaClient("sample-app-kafka", { cluster, user: "sample-app", topics: [config.app.topic], groups: ["sample-app"] });
    const audit = new KafkaClient("audit-kafka", { cluster, user: "audit", topics: ["audit-events"], groups: ["audit"] });
    return { app: app.connection, audit: audit.connection, kafka: cluster.connection };
  });

const acls = (user: DeclaredResource) =>
  user.inputs.spec.authorization.acls.map(
    (a: { resource: { type: string; name: string }; operations: string[] }) =>
      `${a.resource.type}:${a.resource.name}:${a.operations.join("+")}`,
  );

describe("program: a second KafkaClient on the same cluster", function () {
  this.timeout(60_000);

  describe("with SCRAM (do)", () => {
    let run: ProgramRun;
    before(async () => {
      run = await twoClients("do");
    });

    it("declares one KafkaUser per client, each with its own topics and groups only", () => {
      const users: Record<string, DeclaredResource> = Object.fromEntries(ofType(run, userType).map((u) => [u.inputs.metadata.name, u]));
      assert.deepStrictEqual(Object.keys(users).sort(), ["audit", "sample-app"]);
      assert.deepStrictEqual(acls(users.audit), ["topic:audit-events:Describe+Read+Write", "group:audit:Describe+Read"]);
      assert.deepStrictEqual(acls(users["sample-app"]), ["topic:demo-events:Describe+Read+Write", "group:sample-app:Describe+Read"]);
      const kafka = ofType(run, "kubernetes:kafka.strimzi.io/v1:Kafka")[0];
      for (const user of Object.values(users)) {
        assert.deepStrictEqual(user.inputs.metadata.labels, { "strimzi.io/cluster": "kafka" });
        assert.strictEqual(user.inputs.metadata.namespace, "kafka");
        assert.deepStrictEqual(user.dependsOn, [`${kafka.type}::${kafka.name}`]);
      }
    });

    it("gives each client the cluster's connection with its own credentials, and the cluster's none", () => {
      const { app, audit, kafka } = run.outputs as Record<string, { bootstrapServers: string; scram?: unknown }>;
      assert.deepStrictEqual(audit.scram, { username: "audit", passwordSecret: "audit" });
      assert.deepStrictEqual(app.scram, { username: "sample-app", passwordSecret: "sample-app" });
      assert.strictEqual(kafka.scram, undefined);
      assert.strictEqual(audit.bootstrapServers, kafka.bootstrapServers);
    });
  });

  it("declares no KafkaUser where the listener does not authenticate (dev)", async () => {
    const run = await twoClients("dev");
    assert.deepStrictEqual(ofType(run, userType), []);
    assert.strictEqual((run.outputs.audit as { scram?: unknown }).scram, undefined);
  });
});
