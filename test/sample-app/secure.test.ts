// The app against a broker that requires what the `do` stack's Kafka requires: TLS (a throwaway CA)
// and SCRAM-SHA-512 on the client listener, and ACLs — the ones the stack's KafkaUser grants.
import { strict as assert } from "node:assert";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  Kafka,
  logLevel,
  ResourcePatternTypes,
} from "../../sample-app/node_modules/kafkajs";
import { createCertificateAuthority, startKafkaBroker, type KafkaBroker } from "../support/kafka";
import { AppProcess, ensureBuilt, missingOf, waitFor } from "./app-process";
import { createTopic, uniqueName } from "./topics";

const USER = "sample-app";
const PASSWORD = "s3cret-for-tests-only";
const PARTITIONS = 3;

describe("sample app against a TLS + SCRAM-SHA-512 listener with ACLs", function () {
  this.timeout(240_000);
  let broker: KafkaBroker;
  let otherCaFile: string;
  let scratch: string;
  const running: AppProcess[] = [];

  before(async function () {
    this.timeout(300_000);
    ensureBuilt();
    broker = await startKafkaBroker({ partitionsDefault: PARTITIONS, saslSsl: { users: { [USER]: PASSWORD } } });
    scratch = await fs.mkdtemp(path.join(os.tmpdir(), "kafka-other-ca-"));
    otherCaFile = (await createCertificateAuthority(scratch)).certFile;
  });

  afterEach(() => {
    for (const p of running.splice(0)) p.kill();
  });

  after(async () => {
    await broker?.dispose();
    if (scratch) await fs.rm(scratch, { recursive: true, force: true });
  });

  /** A topic and group the user may use, with exactly the ACLs of the stack's KafkaUser. */
  async function topicForUser(prefix: string): Promise<string> {
    const name = uniqueName(prefix);
    await createTopic(broker.bootstrap, name, PARTITIONS);
    const admin = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const allow = (resourceType: AclResourceTypes, operation: AclOperationTypes) => ({
        resourceType,
        resourceName: name,
        resourcePatternType: ResourcePatternTypes.LITERAL,
        principal: `User:${USER}`,
        host: "*",
        operation,
        permissionType: AclPermissionTypes.ALLOW,
      });
      await admin.createAcls({
        acl: [
          ...[AclOperationTypes.DESCRIBE, AclOperationTypes.READ, AclOperationTypes.WRITE].map((op) => allow(AclResourceTypes.TOPIC, op)),
          ...[AclOperationTypes.DESCRIBE, AclOperationTypes.READ].map((op) => allow(AclResourceTypes.GROUP, op)),
        ],
      });
    } finally {
      await admin.disconnect();
    }
    return name;
  }

  function app(topic: string, env: Record<string, string>): AppProcess {
    const p = new AppProcess({
      KAFKA_BROKERS: broker.saslSsl!.bootstrap,
      KAFKA_TOPIC: topic,
      KAFKA_GROUP_ID: topic,
      KAFKA_SASL_USERNAME: USER,
      KAFKA_SASL_PASSWORD: PASSWORD,
      KAFKA_TLS_CA_FILE: broker.saslSsl!.caFile,
      ...env,
    });
    running.push(p);
    return p;
  }

  /** The app's error-level log lines (it writes them to stderr). */
  const errorLines = (p: AppProcess): Array<Record<string, unknown>> =>
    p.stderr
      .join("")
      .split("\n")
      .flatMap((l) => {
        try {
          return [JSON.parse(l) as Record<string, unknown>];
        } catch {
          return [];
        }
      });

  /** Waits for an error line whose hint names `variable`, then checks the process stays up, not ready. */
  async function refused(p: AppProcess, variable: string): Promise<string> {
    let hint = "";
    await waitFor(
      `an error naming ${variable}`,
      async () => {
        const line = errorLines(p).find((l) => String(l.hint ?? "").includes(variable));
        hint = String(line?.hint ?? "");
        return line !== undefined;
      },
      60_000,
    );
    // Long enough for several connection attempts: a crash loop would have exited by now.
    await new Promise((r) => setTimeout(r, 8000));
    const ready = await fetch(`${await p.url()}/readyz`);
    assert.equal(ready.status, 503, "not ready while Kafka refuses it");
    const exited = await Promise.race([p.exited.then(() => true), Promise.resolve(false)]);
    assert.equal(exited, false, `the process must keep running and retrying; output:\n${p.tail()}`);
    const s = await p.stats(false);
    assert.equal(s.producer!.produced, 0);
    return hint;
  }

  it("produces and consumes with the right password and CA, with only the stack's ACLs", async () => {
    const N = 3000;
    const t = await topicForUser("secure-ok");
    const p = app(t, { APP_ROLE: "both", PRODUCE_RATE: "max", PRODUCE_LIMIT: String(N) });
    await waitFor(`${N} consumed over SASL_SSL`, async () => (await p.stats()).consumer!.consumed >= N, 120_000);
    const s = await p.stats();
    assert.equal(s.producer!.produced, N);
    const { missing, holes } = missingOf(s.producer!.id, N, [s.streams!]);
    assert.equal(missing, 0);
    assert.deepEqual(holes, []);
    await waitFor(
      "the group view (admin client over SASL_SSL) answers",
      async () => (await p.stats(false)).group.error === null && (await p.stats(false)).group.partitions.length === PARTITIONS,
      30_000,
    );
    assert.equal(await p.signal("SIGTERM"), 0);
    console.log(`    ${N} produced and consumed over SASL_SSL (SCRAM-SHA-512) with topic Describe/Read/Write and group Describe/Read only`);
  });

  it("is refused with a wrong password: a clear error naming KAFKA_SASL_PASSWORD, no crash loop", async () => {
    const t = await topicForUser("secure-bad-password");
    const p = app(t, { APP_ROLE: "both", PRODUCE_RATE: "10", KAFKA_SASL_PASSWORD: "wrong-password" });
    const hint = await refused(p, "KAFKA_SASL_PASSWORD");
    assert.ok(
      ![...p.lines.map((l) => JSON.stringify(l)), ...p.stderr].some((l) => l.includes("wrong-password")),
      "the password is never logged",
    );
    console.log(`    hint: ${hint}`);
  });

  it("is refused when KAFKA_TLS_CA_FILE is another CA: a clear error naming it, no crash loop", async () => {
    const t = await topicForUser("secure-bad-ca");
    const p = app(t, { APP_ROLE: "both", PRODUCE_RATE: "10", KAFKA_TLS_CA_FILE: otherCaFile });
    console.log(`    hint: ${await refused(p, "KAFKA_TLS_CA_FILE")}`);
  });
});
