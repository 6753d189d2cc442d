import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "crypto";
import { readdirSync, readFileSync } from "fs";
import { join, relative } from "path";
import { ImageTarget } from "./cluster";

// Local installs and build output: the image builds its own, so they must not change the tag.
const ignored = new Set(["node_modules", "dist", "test-artifacts"]);

/** sha256 of every file that goes into the image, so the tag changes exactly when the image would. */
export function contentHash(dir: string): string {
  const hash = createHash("sha256");
  const walk = (at: string): void => {
    for (const entry of readdirSync(at, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (ignored.has(entry.name)) continue;
      const path = join(at, entry.name);
      if (entry.isDirectory()) {
        walk(path);
      } else if (entry.isFile()) {
        hash.update(relative(dir, path)).update("\0").update(readFileSync(path)).update("\0");
      }
    }
  };
  walk(dir);
  return hash.digest("hex").slice(0, 16);
}

export interface SampleAppImageArgs {
  /** Directory holding the Dockerfile and sources. */
  readonly context: string;
  /** Image repository name, without registry. */
  readonly repository: string;
  /** Where the nodes get images from. */
  readonly target: ImageTarget;
}

/**
 * The sample-app image, built with the local Docker engine and handed to the cluster: `kind load` for
 * kind, a push to the registry otherwise. Tagged by content, so an unchanged app is never rebuilt
 * and a Deployment rolls exactly when the code changed.
 */
export class SampleAppImage extends pulumi.ComponentResource {
  /** Full image reference the Deployments run. */
  public readonly ref: pulumi.Output<string>;

  constructor(name: string, args: SampleAppImageArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kafka-on-k8s:app:SampleAppImage", name, {}, opts);
    const tag = contentHash(args.context);
    const target = args.target;

    const ref =
      target.kind === "kind"
        ? pulumi.output(`${args.repository}:${tag}`)
        : pulumi.interpolate`${target.repositoryPrefix}/${args.repository}:${tag}`;
    const publish =
      target.kind === "kind"
        ? 'kind load docker-image "$IMAGE" --name "$KIND_CLUSTER"'
        : // A throwaway DOCKER_CONFIG keeps the registry credential out of argv and out of ~/.docker.
          `DOCKER_CONFIG="$(mktemp -d)"; export DOCKER_CONFIG; trap 'rm -rf "$DOCKER_CONFIG"' EXIT
printf '%s' "$REGISTRY_CREDENTIALS" > "$DOCKER_CONFIG/config.json"
docker push "$IMAGE"`;

    // kind runs the host's platform; a registry's nodes may not (arm64 laptop, amd64 nodes).
    const platform = target.kind === "kind" ? "" : '--platform "$PLATFORM" ';
    const build = new command.local.Command(
      `${name}-build`,
      {
        interpreter: ["/bin/bash", "-c"],
        create: `set -euo pipefail\ndocker build ${platform}--tag "$IMAGE" "$CONTEXT"\n${publish}`,
        environment: {
          IMAGE: ref,
          CONTEXT: args.context,
          ...(target.kind === "kind"
            ? { KIND_CLUSTER: target.clusterName }
            : { REGISTRY_CREDENTIALS: target.pushCredentials(tag, this), PLATFORM: target.platform }),
        },
        // A re-created kind cluster starts without the image.
        triggers: target.kind === "kind" ? [tag, target.clusterId] : [tag],
      },
      { parent: this, dependsOn: target.dependsOn },
    );

    // Carry the build as a dependency of every use of the reference.
    this.ref = pulumi.all([ref, build.id]).apply(([r]) => r);
    this.registerOutputs({ ref: this.ref });
  }
}
