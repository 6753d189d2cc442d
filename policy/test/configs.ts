// The pack's shipped configs, reconciled once for all policy tests.
import { policies } from "../policies";
import { PackConfig, readConfigFile, reconcileConfig } from "./harness";

/** Effective config under policy/config/do.json (production). */
export const doConfig: PackConfig = reconcileConfig(policies, readConfigFile("do"));
/** Effective config under policy/config/dev.json (one kind node). */
export const devConfig: PackConfig = reconcileConfig(policies, readConfigFile("dev"));
/** Effective config without a config file: the schema defaults. */
export const defaultConfig: PackConfig = reconcileConfig(policies);
