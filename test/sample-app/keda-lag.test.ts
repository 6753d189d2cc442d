// The lag the app reports (dashboard, /api/stats, sample_app_consumer_lag) against what KEDA's kafka trigger
// computes for the same group, on a real broker, with the trigger settings the program declares.
import { strict as assert } from "node:assert";
import { Kafka, logLevel, type Consumer } from "../../sample-app/node_modules/kafkajs";
import type { Stats } from "../../sample-app/src/app";
import { kedaPartitionLag, kedaReplicas, kedaTotalLag, type KafkaTrigger, type PartitionOffsets } from "../support/keda";
import { startKafkaBroker, type KafkaBroker } from "../support/kafka";
import { ofType, runProgram } from "../support/program";
import { AppProcess, ensureBuilt, waitFor } from "./app-process";
import { createTopic, uniqueName } from "./topics";

const PARTITIONS = 6;

describe("KEDA's kafka trigger arithmetic (kafka_scaler.go v2.20.2)", () => {
  const earliest: KafkaTrigger = { lagThreshold: 100, offsetResetPolicy: "earliest" };
  const p = (latest: number, committed: number | null, partition = 0): PartitionOffsets => ({ partition, latest, committed });
  const six = (latest: number, committed: number | null) => Array.from({ length: 6 }, (_, i) => p(latest, committed, i));

  const cases: [string, number, number][] = [
    ["latest − committed", kedaPartitionLag(p(250, 40), earliest), 210],
    ["no commit under earliest: the whole latest offset", kedaPartitionLag(p(250, null), earliest), 250],
    [
      "no commit under latest: 1, so a new group gets a consumer",
      kedaPartitionLag(p(250, null), { ...earliest, offsetResetPolicy: "latest" }),
      1,
    ],
    ["no commit with scaleToZeroOnInvalidOffset", kedaPartitionLag(p(250, null), { ...earliest, scaleToZeroOnInvalidOffset: true }), 0],
    ["a total below partitions × threshold is not capped", kedaTotalLag(six(100, 0), earliest), 600],
    ["a total far above it is capped at partitions × threshold", kedaTotalLag(six(1000, 0), earliest), 600],
    // Go's integer division: 650 / 100 = 6, not above 6 partitions, so 650 stays.
    ["the cap compares in integer division", kedaTotalLag([...six(100, 0).slice(1), p(150, 0, 5)], earliest), 650],
    ["allowIdleConsumers lifts the cap", kedaTotalLag(six(1000, 0), { ...earliest, allowIdleConsumers: true }), 6000],
    [
      "limitToPartitionsWithLag caps at partitions with lag",
      kedaTotalLag([p(1000, 0), p(5, 5, 1)], { ...earliest, limitToPartitionsWithLag: true }),
      100,
    ],
    ["replicas: ceil(lag / threshold)", kedaReplicas(250, 100, 1, 6), 3],
    ["replicas: never below the minimum", kedaReplicas(0, 100, 1, 6), 1],
    ["replicas: never above the maximum", kedaReplicas(650, 100, 1, 6), 6],
  ];
  for (const [what, actual, expected] of cases) {
    it(what, () => assert.equal(actual, expected));
  }
});

describe("the app's lag against KEDA's kafka trigger, on a real broker", function () {
  this.timeout(300_000);
  let broker: KafkaBroker;
  let trigger: KafkaTrigger;
  let bounds: { min: number; max: number };
  const running: AppProcess[] = [];
  let slow: Consumer | undefined;

  before(async function () {
    this.timeout(300_000);
    // The dev stack's ScaledObject: the trigger metadata KEDA would get, and the replica bounds.
    const scaled = ofType(await runProgram("dev"), "kubernetes:keda.sh/v1alpha1:ScaledObject")[0].inputs.spec;
    const metadata = scaled.triggers[0].metadata;
    trigger = { lagThreshold: Number(metadata.lagThreshold), offsetResetPolicy: metadata.offsetResetPolicy };
    bounds = { min: scaled.minReplicaCount, max: scaled.maxReplicaCount };
    ensureBuilt();
    broker = await startKafkaBroker({ partitionsDefault: PARTITIONS });
  });

  afterEach(async () => {
    await slow?.disconnect().catch(() => undefined);
    slow = undefined;
    for (const a of running.splice(0)) a.kill();
  });

  after(async () => {
    await broker?.dispose();
  });

  function app(env: Record<string, string>): AppProcess {
    const a = new AppProcess({ KAFKA_BROKERS: broker.bootstrap, LOG_LEVEL: "info", ...env });
    running.push(a);
    return a;
  }

  /** The app's view of the group, once it has polled after `since` (ms). */
  async function groupAfter(a: AppProcess, since: number): Promise<Stats["group"]> {
    let group: Stats["group"] | undefined;
    await waitFor(
      "a group poll of the app after the offsets settled",
      async () => {
        group = (await a.stats(false)).group;
        return group.updatedAt !== null && group.updatedAt > since && group.error === null;
      },
      20_000,
    );
    return group!;
  }

  /** What KEDA reads: the topic's latest offsets and the group's committed ones, from the broker itself. */
  async function brokerOffsets(topic: string, group: string): Promise<PartitionOffsets[]> {
    const admin = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const [ends, committed] = await Promise.all([
        admin.fetchTopicOffsets(topic),
        admin.fetchOffsets({ groupId: group, topics: [topic] }),
      ]);
      const by = new Map(committed[0].partitions.map((p) => [p.partition, Number(p.offset)]));
      return ends
        .map((e) => ({
          partition: e.partition,
          latest: Number(e.high),
          committed: (by.get(e.partition) ?? -1) < 0 ? null : by.get(e.partition)!,
        }))
        .sort((a, b) => a.partition - b.partition);
    } finally {
      await admin.disconnect();
    }
  }

  const appOffsets = (group: Stats["group"]): PartitionOffsets[] =>
    group.partitions.map((p) => ({ partition: p.partition, latest: p.end, committed: p.committed }));
  const appLags = (group: Stats["group"]) => group.partitions.map((p) => p.lag);

  it("reports, partition by partition, the lag KEDA computes, and the replicas KEDA asks for follow it", async () => {
    const topic = uniqueName("keda-lag");
    await createTopic(broker.bootstrap, topic, PARTITIONS);
    // Slow enough that the lag passes through several multiples of the threshold while it is sampled.
    const N = 1_500;
    // The producer process also polls the group: it is the app's view, with no consumer of its own.
    const producer = app({ KAFKA_TOPIC: topic, KAFKA_GROUP_ID: topic, APP_ROLE: "producer", PRODUCE_RATE: "60", PRODUCE_LIMIT: String(N) });

    // 1. Messages, and a group that has never committed: the app counts every message as lag, and so does
    //    KEDA, with the offsetResetPolicy the program's ScaledObject sets.
    await waitFor("100 messages produced", async () => (await producer.stats(false)).producer!.produced >= 100, 60_000);
    const fresh = await groupAfter(producer, Date.now());
    assert.ok(
      fresh.partitions.every((p) => p.committed === null),
      "the group committed before any consumer ran",
    );
    assert.deepEqual(
      appLags(fresh),
      appOffsets(fresh).map((p) => kedaPartitionLag(p, trigger)),
      `the app's lag per partition differs from KEDA's with offsetResetPolicy=${trigger.offsetResetPolicy}`,
    );

    // 2. A consumer slower than the producer: it commits as it goes while the lag grows.
    slow = new Kafka({ brokers: [broker.bootstrap], clientId: "slow-consumer", logLevel: logLevel.NOTHING }).consumer({ groupId: topic });
    await slow.connect();
    await slow.subscribe({ topics: [topic], fromBeginning: true });
    await slow.run({ autoCommitInterval: 500, eachMessage: () => new Promise((r) => setTimeout(r, 50)) });
    const samples: { lag: number; replicas: number }[] = [];
    const until = Date.now() + 15_000;
    while (Date.now() < until) {
      const group = (await producer.stats(false)).group;
      if (group.updatedAt !== null && group.partitions.some((p) => p.committed !== null)) {
        // The same offsets, KEDA's formula: the app's own numbers must agree partition by partition.
        assert.deepEqual(
          appLags(group),
          appOffsets(group).map((p) => kedaPartitionLag(p, trigger)),
          JSON.stringify(group.partitions),
        );
        const lag = group.partitions.reduce((n, p) => n + p.lag, 0);
        samples.push({
          lag,
          replicas: kedaReplicas(kedaTotalLag(appOffsets(group), trigger), trigger.lagThreshold, bounds.min, bounds.max),
        });
      }
      await new Promise((r) => setTimeout(r, 2_000));
    }
    assert.ok(samples.length >= 3, `only ${samples.length} polls with commits`);
    assert.ok(samples[samples.length - 1].lag > samples[0].lag, `the lag did not grow: ${samples.map((s) => s.lag).join(", ")}`);
    assert.ok(
      new Set(samples.map((s) => s.replicas)).size >= 2,
      `the replicas KEDA would ask for never changed: ${samples.map((s) => s.replicas).join(", ")}`,
    );

    // 3. Everything produced, the slow consumer gone (it commits on disconnect): the app's figures must be
    //    KEDA's, read from the broker directly.
    await waitFor(`all ${N} produced`, async () => (await producer.stats(false)).producer!.produced >= N, 60_000);
    await slow.disconnect();
    slow = undefined;
    const settled = Date.now();
    const backlog = await brokerOffsets(topic, topic);
    const group = await groupAfter(producer, settled);
    assert.deepEqual(appOffsets(group), backlog, "the app's offsets are not the broker's");
    assert.deepEqual(
      appLags(group),
      backlog.map((p) => kedaPartitionLag(p, trigger)),
    );
    const backlogLag = kedaTotalLag(backlog, trigger);
    const backlogReplicas = kedaReplicas(backlogLag, trigger.lagThreshold, bounds.min, bounds.max);

    // 4. Drained by an app consumer: lag 0 in both views, and KEDA would go back to the minimum.
    app({ KAFKA_TOPIC: topic, KAFKA_GROUP_ID: topic, APP_ROLE: "consumer", KAFKA_CLIENT_ID: "drainer" });
    await waitFor("the backlog drained", async () => (await brokerOffsets(topic, topic)).every((p) => p.committed === p.latest), 120_000);
    const drainedAt = Date.now();
    const drained = await brokerOffsets(topic, topic);
    const after = await groupAfter(producer, drainedAt);
    assert.deepEqual(
      appLags(after),
      drained.map((p) => kedaPartitionLag(p, trigger)),
    );
    const drainedReplicas = kedaReplicas(kedaTotalLag(drained, trigger), trigger.lagThreshold, bounds.min, bounds.max);
    assert.equal(drainedReplicas, bounds.min);
    assert.ok(
      backlogReplicas > drainedReplicas,
      `KEDA would ask for ${backlogReplicas} replicas on a lag of ${backlogLag}, and ${drainedReplicas} at 0`,
    );
    console.log(
      `    lagThreshold ${trigger.lagThreshold}, ${trigger.offsetResetPolicy}: slow-consumer lag ${samples.map((s) => s.lag).join(" → ")} ` +
        `(replicas ${samples.map((s) => s.replicas).join(" → ")}); settled backlog ${backlogLag} → ${backlogReplicas} replicas; drained → ${drainedReplicas}`,
    );
  });
});
