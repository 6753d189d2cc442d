import { deepStrictEqual, strictEqual } from "assert";
import { doksNodeCount } from "../policies/doks-node-count";
import { devConfig, doConfig } from "./configs";
import { doksCluster, kafka } from "./fixtures";
import { checkResource, messages } from "./harness";

describe("policy doks-node-count", () => {
  it("passes 3 fixed nodes, and autoscaling from 3", async () => {
    deepStrictEqual(messages(await checkResource(doksNodeCount, doksCluster({ nodeCount: 3 }), doConfig)), []);
    deepStrictEqual(
      messages(await checkResource(doksNodeCount, doksCluster({ autoScale: true, nodeCount: 3, minNodes: 3, maxNodes: 5 }), doConfig)),
      [],
    );
  });

  it("reports a fixed node count below minBrokers", async () => {
    deepStrictEqual(messages(await checkResource(doksNodeCount, doksCluster({ nodeCount: 2 }), doConfig)), [
      "KubernetesCluster kafka-do: nodePool.nodeCount 2, below minBrokers 3",
    ]);
  });

  it("reports autoscaling that may shrink below minBrokers, whatever nodeCount says", async () => {
    deepStrictEqual(
      messages(await checkResource(doksNodeCount, doksCluster({ autoScale: true, nodeCount: 3, minNodes: 1, maxNodes: 5 }), doConfig)),
      ["KubernetesCluster kafka-do: nodePool.minNodes (autoScale) 1, below minBrokers 3"],
    );
  });

  it("follows the dev minimum and ignores other resource types", async () => {
    deepStrictEqual(messages(await checkResource(doksNodeCount, doksCluster({ nodeCount: 1 }), devConfig)), []);
    strictEqual(
      (await checkResource(doksNodeCount, kafka(), doConfig)).notApplicable,
      "Policy only applies to resources of type 'digitalocean:index/kubernetesCluster:KubernetesCluster'",
    );
  });
});
