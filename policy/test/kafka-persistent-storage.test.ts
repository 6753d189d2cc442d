import { deepStrictEqual, strictEqual } from "assert";
import { persistentStorage } from "../policies/kafka-persistent-storage";
import { devConfig, doConfig } from "./configs";
import { nodePool, topic } from "./fixtures";
import { checkResource, messages } from "./harness";

const jbod = (...types: string[]) => ({
  storage: {
    type: "jbod",
    volumes: types.map((type, id) => (type === "ephemeral" ? { id, type } : { id, type, size: "20Gi", deleteClaim: false })),
  },
});

describe("policy kafka-persistent-storage", () => {
  it("passes persistent-claim and all-persistent JBOD under do", async () => {
    deepStrictEqual(messages(await checkResource(persistentStorage, nodePool("brokers", ["broker"]), doConfig)), []);
    deepStrictEqual(
      messages(
        await checkResource(persistentStorage, nodePool("brokers", ["broker"], jbod("persistent-claim", "persistent-claim")), doConfig),
      ),
      [],
    );
  });

  it("allows ephemeral storage under dev (requirePersistentStorage off)", async () => {
    const outcome = await checkResource(
      persistentStorage,
      nodePool("dual-role", ["controller", "broker"], { storage: { type: "ephemeral" } }),
      devConfig,
    );
    deepStrictEqual(outcome, { violations: [], notApplicable: "requirePersistentStorage is off" });
  });

  it("reports ephemeral pool storage", async () => {
    deepStrictEqual(
      messages(
        await checkResource(persistentStorage, nodePool("controllers", ["controller"], { storage: { type: "ephemeral" } }), doConfig),
      ),
      ["KafkaNodePool kafka/controllers: storage type ephemeral; persistent-claim is required (requirePersistentStorage)"],
    );
  });

  it("reports each ephemeral JBOD volume", async () => {
    deepStrictEqual(
      messages(await checkResource(persistentStorage, nodePool("brokers", ["broker"], jbod("persistent-claim", "ephemeral")), doConfig)),
      ["KafkaNodePool kafka/brokers: JBOD volume 1 has storage type ephemeral; persistent-claim is required (requirePersistentStorage)"],
    );
  });

  it("reports a pool without storage", async () => {
    deepStrictEqual(messages(await checkResource(persistentStorage, nodePool("brokers", ["broker"], { storage: undefined }), doConfig)), [
      "KafkaNodePool kafka/brokers: spec.storage is not set; persistent storage is required (requirePersistentStorage)",
    ]);
  });

  it("does not apply to topics", async () => {
    strictEqual((await checkResource(persistentStorage, topic("t"), doConfig)).notApplicable, "only applies to Strimzi KafkaNodePools");
  });
});
