// CPU per record of KafkaJS's own encoding and decoding, by record shape, in this process (no broker):
// what the app's record format costs before a byte reaches the network. Run: npm run bench:codec
// Encoding is what `producer.send` does per batch (partitioner, grouping by partition, the produce
// request); decoding is what the consumer does per fetched batch. Each figure is the median of 5
// timed runs of 50 batches of 1 000 records, after a warm-up, the shapes taking turns; the ratio is against the plain record.
import { createRequire } from "node:module";
import * as path from "node:path";
import { generatedValue } from "../sample-app/src/record";

interface KafkaJsMessage {
  key?: string | Buffer;
  value: Buffer;
  headers?: Record<string, string>;
}
type Encoded = { encode(): Promise<Buffer> };

// Internal modules of the app's pinned KafkaJS (2.2.4): its public API has no way to encode without a broker.
const load = createRequire(path.join(__dirname, "..", "sample-app", "node_modules", "kafkajs", "src", "index.js"));
const ProduceRequest = load("./protocol/requests/produce/v3/request.js") as (args: object) => Encoded;
const groupByPartition = load("./producer/groupMessagesPerPartition.js") as (args: object) => Record<string, KafkaJsMessage[]>;
const { DefaultPartitioner } = load("./producer/partitioners") as { DefaultPartitioner: () => (args: object) => number };
const { RecordBatch } = load("./protocol/recordBatch/v0") as { RecordBatch: (args: object) => Promise<{ buffer: Buffer }> };
const Record = load("./protocol/recordBatch/record/v0") as (args: object) => object;
const decodeBatch = load("./protocol/recordBatch/v0/decoder.js") as (decoder: object) => Promise<{ records: unknown[] }>;
const Decoder = load("./protocol/decoder") as new (buffer: Buffer) => object;

const SIZE = 1024;
const BATCH = 1000;
const padding = Buffer.alloc(SIZE, "x");
const partitionMetadata = Array.from({ length: 6 }, (_, i) => ({ partitionId: i, leader: 0 }));
const meta = (i: number) => ({ producer: "3f9a1c", seq: i, sentAt: 1764143000123.456 });

const shapes: Record<string, (i: number) => KafkaJsMessage> = {
  "plain 1 KiB value (floor)": () => ({ value: padding }),
  "key + metadata line (the app now)": (i) => ({ key: `3f9a1c-${i % 32}`, value: generatedValue(meta(i), padding, SIZE) }),
  "key + three headers (the app before)": (i) => ({
    key: `3f9a1c-${i % 32}`,
    value: padding,
    headers: { "x-producer": "3f9a1c", "x-seq": String(i), "x-sent-at": "1764143000123.456" },
  }),
};

/** CPU µs per record (user + system) of `work`, run `batches` times on batches of BATCH records. */
async function cpuPerRecord(batches: number, work: () => Promise<unknown>): Promise<number> {
  const start = process.cpuUsage();
  for (let b = 0; b < batches; b++) await work();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / (batches * BATCH);
}

async function encodeOnce(make: (i: number) => KafkaJsMessage): Promise<void> {
  const messages = Array.from({ length: BATCH }, (_, i) => make(i));
  const byPartition = groupByPartition({ topic: "t", partitionMetadata, messages, partitioner: DefaultPartitioner() });
  const partitions = Object.entries(byPartition).map(([partition, m]) => ({ partition: Number(partition), messages: m }));
  await ProduceRequest({ acks: -1, timeout: 30_000, compression: 0, topicData: [{ topic: "t", partitions }] }).encode();
}

async function encodedBatch(make: (i: number) => KafkaJsMessage): Promise<Buffer> {
  const records = Array.from({ length: BATCH }, (_, i) => Record({ ...make(i), offsetDelta: i, timestampDelta: 0 }));
  return (await RecordBatch({ records, lastOffsetDelta: BATCH - 1 })).buffer;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const work = await Promise.all(
    Object.entries(shapes).map(async ([shape, make]) => {
      const batch = await encodedBatch(make);
      return {
        shape,
        encode: () => encodeOnce(make),
        decode: () => decodeBatch(new Decoder(batch)),
        runs: { encode: [] as number[], decode: [] as number[] },
      };
    }),
  );
  // Every shape is warmed up, then measured in turns, so none runs on a colder JIT than the others.
  for (const w of work) {
    await cpuPerRecord(20, w.encode);
    await cpuPerRecord(20, w.decode);
  }
  for (let r = 0; r < 5; r++) {
    for (const w of work) {
      w.runs.encode.push(await cpuPerRecord(50, w.encode));
      w.runs.decode.push(await cpuPerRecord(50, w.decode));
    }
  }
  const rows = work.map((w) => ({ shape: w.shape, encode: median(w.runs.encode), decode: median(w.runs.decode) }));
  const floor = rows[0];
  console.log(`KafkaJS 2.2.4 CPU per ${SIZE}-byte record, median of 5 runs of ${50 * BATCH} records (ratio to the plain record)\n`);
  console.log("| record shape | encode µs | ratio | decode µs | ratio |\n|---|---:|---:|---:|---:|");
  for (const r of rows) {
    console.log(
      `| ${r.shape} | ${r.encode.toFixed(1)} | ${(r.encode / floor.encode).toFixed(2)} | ${r.decode.toFixed(2)} | ${(r.decode / floor.decode).toFixed(2)} |`,
    );
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
