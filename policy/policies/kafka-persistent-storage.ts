import { ResourceValidationPolicy } from "@pulumi/policy";
import { describe, KAFKA_NODE_POOL } from "./lib/resources";

/** Config of `kafka-persistent-storage`. */
export interface PersistentStorageConfig {
  /** Whether node pools must keep their data on persistent volumes. */
  readonly requirePersistentStorage: boolean;
}

/** 5. Where `requirePersistentStorage` is set, no node pool (nor JBOD volume) uses `ephemeral` storage. */
export const persistentStorage: ResourceValidationPolicy = {
  name: "kafka-persistent-storage",
  description: "KafkaNodePools keep their data on persistent volumes where requirePersistentStorage is set.",
  configSchema: {
    properties: {
      requirePersistentStorage: {
        type: "boolean",
        default: true,
        description: "Forbid ephemeral (emptyDir) storage: a pod restart would lose the broker's or controller's data.",
      },
    },
  },
  validateResource: (args, reportViolation) => {
    if (args.type !== KAFKA_NODE_POOL) {
      args.notApplicable("only applies to Strimzi KafkaNodePools");
    }
    if (!args.getConfig<PersistentStorageConfig>().requirePersistentStorage) {
      args.notApplicable("requirePersistentStorage is off");
    }
    const storage = args.props.spec?.storage;
    if (storage === undefined) {
      reportViolation(`${describe(args)}: spec.storage is not set; persistent storage is required (requirePersistentStorage)`);
    } else if (storage.type === "ephemeral") {
      reportViolation(`${describe(args)}: storage type ephemeral; persistent-claim is required (requirePersistentStorage)`);
    } else if (storage.type === "jbod") {
      (storage.volumes ?? []).forEach((volume: { type?: string; id?: number }, index: number) => {
        if (volume.type === "ephemeral") {
          reportViolation(
            `${describe(args)}: JBOD volume ${volume.id ?? index} has storage type ephemeral; ` +
              "persistent-claim is required (requirePersistentStorage)",
          );
        }
      });
    }
  },
};
