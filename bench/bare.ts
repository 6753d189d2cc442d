// The bare-KafkaJS reference of the benchmark: the app's KafkaJS version, client, producer, consumer
// and send settings (imported from the app, not restated), producing or consuming the same records
// with nothing else to do. Run as its own process, as the app is; prints one JSON line with the result.
// Env: the app's variables (KAFKA_BROKERS, KAFKA_TOPIC, KAFKA_GROUP_ID, MESSAGE_BYTES, PRODUCE_LIMIT,
// CONSUME_LIMIT, PRODUCE_BATCH_SIZE, PRODUCE_MAX_IN_FLIGHT, PRODUCE_KEYS) and BARE_ROLE=producer|consumer.
import { randomBytes } from "node:crypto";
import type { Message } from "../sample-app/node_modules/kafkajs";
import { loadConfig } from "../sample-app/src/config";
import { consumerOptions, PARTITIONS_IN_PARALLEL } from "../sample-app/src/consumer";
import { createKafka } from "../sample-app/src/kafka";
import { nowMs, PRODUCER_OPTIONS, sendOptions } from "../sample-app/src/producer";
import { generatedValue } from "../sample-app/src/record";

const config = loadConfig(process.env);
const kafka = createKafka(config);

/** Sends PRODUCE_LIMIT records in batches of PRODUCE_BATCH_SIZE, PRODUCE_MAX_IN_FLIGHT sends at a time. */
async function produce(): Promise<{ records: number; elapsedMs: number }> {
  const producer = kafka.producer(PRODUCER_OPTIONS);
  await producer.connect();
  const id = randomBytes(3).toString("hex");
  const padding = Buffer.alloc(config.messageBytes, "x");
  const total = config.produceLimit;
  let next = 0;
  // The same record shape as the app's: a key per stream, a value of MESSAGE_BYTES led by the metadata line.
  const batch = (): Message[] => {
    const n = Math.min(config.batchSize, total - next);
    const messages: Message[] = [];
    for (let i = 0; i < n; i++, next++) {
      // Key i's messages are numbered 0, 1, 2, ... as the app numbers each key's stream.
      const meta = { producer: id, seq: Math.floor(next / config.keys), sentAt: nowMs() };
      messages.push({ key: `${id}-${next % config.keys}`, value: generatedValue(meta, padding, config.messageBytes) });
    }
    return messages;
  };
  const started = nowMs();
  const sender = async () => {
    while (next < total) await producer.send({ topic: config.topic, ...sendOptions(config), messages: batch() });
  };
  await Promise.all(Array.from({ length: config.maxInFlight }, sender));
  const elapsedMs = nowMs() - started;
  await producer.disconnect();
  return { records: total, elapsedMs };
}

/** Reads CONSUME_LIMIT records with KafkaJS's default commits, timed from the group join as the app is. */
async function consume(): Promise<{ records: number; elapsedMs: number }> {
  const consumer = kafka.consumer(consumerOptions(config));
  let joinedAt: number | undefined;
  consumer.on(consumer.events.GROUP_JOIN, () => {
    joinedAt ??= nowMs();
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [config.topic], fromBeginning: true });
  let consumed = 0;
  const result = await new Promise<{ records: number; elapsedMs: number }>((resolve) => {
    void consumer.run({
      partitionsConsumedConcurrently: PARTITIONS_IN_PARALLEL,
      eachBatch: async ({ batch }) => {
        consumed += batch.messages.length;
        if (consumed >= config.consumeLimit) resolve({ records: consumed, elapsedMs: nowMs() - (joinedAt ?? nowMs()) });
      },
    });
  });
  await consumer.disconnect();
  return result;
}

const role = process.env.BARE_ROLE;
(role === "producer"
  ? produce()
  : role === "consumer"
    ? consume()
    : Promise.reject(new Error(`BARE_ROLE must be producer or consumer; got "${role}"`))
).then(
  (r) => {
    console.log(JSON.stringify(r));
    process.exit(0);
  },
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
