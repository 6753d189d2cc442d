import { deepStrictEqual, strictEqual } from "assert";
import { antiAffinityNodes } from "../policies/doks-nodes-for-anti-affinity";
import { doConfig } from "./configs";
import { doksCluster, kafka, nodePool, perNodeAntiAffinity } from "./fixtures";
import { checkStack, TestResource } from "./harness";

const urn = (r: TestResource) => `urn:pulumi:test::kafka-on-k8s::${r.type}::${r.name}`;
const spread = { template: perNodeAntiAffinity };

describe("policy doks-nodes-for-anti-affinity", () => {
  it("passes 3 anti-affine brokers on 3 nodes (fixed or autoscaled from 3)", async () => {
    for (const pool of [{ nodeCount: 3 }, { autoScale: true, nodeCount: 3, minNodes: 3, maxNodes: 5 }]) {
      const resources = [doksCluster(pool), kafka(), nodePool("controllers", ["controller"]), nodePool("brokers", ["broker"], spread)];
      deepStrictEqual(await checkStack(antiAffinityNodes, resources, doConfig), { violations: [] });
    }
  });

  it("reports more anti-affine brokers than guaranteed nodes", async () => {
    const doks = doksCluster({ autoScale: true, nodeCount: 3, minNodes: 2, maxNodes: 5 });
    const resources = [doks, kafka(), nodePool("brokers", ["broker"], { ...spread, replicas: 3 })];
    deepStrictEqual(await checkStack(antiAffinityNodes, resources, doConfig), {
      violations: [
        {
          message:
            "KubernetesCluster kafka-do: nodePool.minNodes (autoScale) 2, below the 3 anti-affine broker replicas of Kafka cluster kafka/kafka",
          urn: urn(doks),
        },
      ],
    });
  });

  it("ignores brokers without per-host anti-affinity", async () => {
    const zoneSpread = {
      template: {
        pod: {
          affinity: {
            podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: "topology.kubernetes.io/zone" }] },
          },
        },
      },
    };
    const resources = [
      doksCluster({ nodeCount: 1 }),
      kafka(),
      nodePool("brokers", ["broker"], { replicas: 5 }),
      nodePool("zonal", ["broker"], { ...zoneSpread, replicas: 5 }),
    ];
    deepStrictEqual(await checkStack(antiAffinityNodes, resources, doConfig), { violations: [] });
  });

  it("counts each Kafka cluster's anti-affine brokers separately", async () => {
    const doks = doksCluster({ nodeCount: 3 });
    const resources = [
      doks,
      kafka(),
      nodePool("brokers", ["broker"], spread),
      kafka({}, { cluster: "big", namespace: "team-b" }),
      nodePool("brokers", ["broker"], { ...spread, replicas: 4 }, { cluster: "big", namespace: "team-b" }),
    ];
    deepStrictEqual(
      (await checkStack(antiAffinityNodes, resources, doConfig)).violations.map((v) => v.message),
      ["KubernetesCluster kafka-do: nodePool.nodeCount 3, below the 4 anti-affine broker replicas of Kafka cluster team-b/big"],
    );
  });

  it("does not apply without a DOKS cluster (kind)", async () => {
    strictEqual(
      (await checkStack(antiAffinityNodes, [kafka(), nodePool("brokers", ["broker"], spread)], doConfig)).notApplicable,
      "the stack declares no DOKS cluster",
    );
  });
});
