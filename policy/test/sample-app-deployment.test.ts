import { deepStrictEqual, strictEqual } from "assert";
import { sampleAppDeployment } from "../policies/sample-app-deployment";
import { devConfig, doConfig } from "./configs";
import { container, deployment, kafka } from "./fixtures";
import { checkResource, messages } from "./harness";

const producer = "Deployment kafka/sample-app-producer";

describe("policy sample-app-deployment", () => {
  it("passes 2 replicas with a pinned image, resources and runAsNonRoot under do", async () => {
    deepStrictEqual(messages(await checkResource(sampleAppDeployment, deployment("producer"), doConfig)), []);
  });

  it("passes one replica under dev, and runAsNonRoot inherited from the pod", async () => {
    const inherited = deployment(
      "consumer",
      { replicas: 1 },
      {
        securityContext: { runAsNonRoot: true },
        containers: [container({ securityContext: { readOnlyRootFilesystem: true } })],
      },
    );
    deepStrictEqual(messages(await checkResource(sampleAppDeployment, inherited, devConfig)), []);
  });

  it("accepts digests and registries with ports", async () => {
    for (const image of ["localhost:5001/sample-app:abc123", "registry.example/sample-app@sha256:" + "0".repeat(64)]) {
      deepStrictEqual(
        messages(await checkResource(sampleAppDeployment, deployment("producer", {}, { containers: [container({ image })] }), doConfig)),
        [],
      );
    }
  });

  it("reports replicas below minAppReplicas, counting unset replicas as 1", async () => {
    deepStrictEqual(messages(await checkResource(sampleAppDeployment, deployment("producer", { replicas: 1 }), doConfig)), [
      `${producer}: replicas 1, below minAppReplicas 2`,
    ]);
    deepStrictEqual(messages(await checkResource(sampleAppDeployment, deployment("producer", { replicas: undefined }), doConfig)), [
      `${producer}: replicas 1, below minAppReplicas 2`,
    ]);
  });

  it("reports :latest and untagged images", async () => {
    deepStrictEqual(
      messages(
        await checkResource(
          sampleAppDeployment,
          deployment("producer", {}, { containers: [container({ image: "sample-app:latest" })] }),
          doConfig,
        ),
      ),
      [`${producer}: container app image sample-app:latest uses :latest; pin a tag or digest`],
    );
    deepStrictEqual(
      messages(
        await checkResource(
          sampleAppDeployment,
          deployment("producer", {}, { containers: [container({ image: "localhost:5001/sample-app" })] }),
          doConfig,
        ),
      ),
      [`${producer}: container app image localhost:5001/sample-app is untagged (pulls :latest); pin a tag or digest`],
    );
  });

  it("reports missing requests or limits, including on init containers", async () => {
    deepStrictEqual(
      messages(
        await checkResource(
          sampleAppDeployment,
          deployment("producer", {}, { containers: [container({ resources: { requests: { cpu: "100m" } } })] }),
          doConfig,
        ),
      ),
      [`${producer}: container app has no resource requests and limits`],
    );
    const init = container({ name: "wait-for-kafka", resources: undefined });
    deepStrictEqual(messages(await checkResource(sampleAppDeployment, deployment("producer", {}, { initContainers: [init] }), doConfig)), [
      `${producer}: container wait-for-kafka has no resource requests and limits`,
    ]);
  });

  it("reports a container without runAsNonRoot, also when it overrides the pod's", async () => {
    deepStrictEqual(
      messages(
        await checkResource(
          sampleAppDeployment,
          deployment("producer", {}, { containers: [container({ securityContext: {} })] }),
          doConfig,
        ),
      ),
      [`${producer}: container app does not set runAsNonRoot: true`],
    );
    const overridden = deployment(
      "producer",
      {},
      { securityContext: { runAsNonRoot: true }, containers: [container({ securityContext: { runAsNonRoot: false } })] },
    );
    deepStrictEqual(messages(await checkResource(sampleAppDeployment, overridden, doConfig)), [
      `${producer}: container app does not set runAsNonRoot: true`,
    ]);
  });

  it("does not apply to other Deployments or resource types", async () => {
    const other = deployment("producer", { replicas: 1 }, {}, { "app.kubernetes.io/name": "something-else" });
    strictEqual(
      (await checkResource(sampleAppDeployment, other, doConfig)).notApplicable,
      "only applies to Deployments labelled app.kubernetes.io/name=kafka-sample-app",
    );
    strictEqual(
      (await checkResource(sampleAppDeployment, kafka(), doConfig)).notApplicable,
      "Policy only applies to resources of type 'kubernetes:apps/v1:Deployment'",
    );
  });
});
