// Part of the kind TEST DOUBLE (doubles/kind): one "kind cluster" is this process, started by
// `kind create cluster` in its own session. It runs the real local control plane with one kwok fake
// node per node of the kind config, plus the controller stand-in, writes the kubeconfig once all is
// Ready, and stops everything when `kind delete cluster` signals it or when the test that owns it
// ($CONVERGE_DOUBLES_OWNER) is gone, so a killed test run leaves no control plane behind.
// Usage: cluster.ts STATE_DIR NAME ROLE...
import { readFileSync, renameSync, writeFileSync } from "fs";
import { join } from "path";
import { parse, stringify } from "yaml";
import { buildControlPlaneTools, FakeNode, startControlPlane } from "../support/apiserver";
import { startStandIn } from "./standin";

async function main(): Promise<void> {
  const [dir, name, ...roles] = process.argv.slice(2);
  if (!dir || !name || roles.length === 0) throw new Error("usage: cluster.ts STATE_DIR NAME ROLE...");
  const owner = Number(process.env.CONVERGE_DOUBLES_OWNER);
  if (owner) {
    setInterval(() => {
      try {
        process.kill(owner, 0);
      } catch {
        console.log(`owner ${owner} is gone: stopping`);
        process.exit(0); // the exit handler of ../support/apiserver stops every process
      }
    }, 1000).unref();
  }

  // kind's node names: <name>-control-plane, <name>-worker, <name>-worker2, ...
  const seen = new Map<string, number>();
  const nodes: FakeNode[] = roles.map((role) => {
    if (role !== "control-plane" && role !== "worker") throw new Error(`unknown kind node role ${role}`);
    const n = (seen.get(role) ?? 0) + 1;
    seen.set(role, n);
    return { name: `${name}-${role}${n > 1 ? n : ""}`, role };
  });
  // Built by the test before any `pulumi up`; here only found in the cache.
  const tools = await buildControlPlaneTools();
  const server = await startControlPlane(tools, nodes);
  console.log(`control plane ${server.url} ready in ${server.startSeconds} s with ${nodes.length} fake node(s)`);
  startStandIn(server, tools.helm, (line) => console.log(`[stand-in] ${line}`));

  // kind names the cluster, user and context kind-<name>.
  const kubeconfig = parse(readFileSync(server.kubeconfig, "utf8"));
  const id = `kind-${name}`;
  kubeconfig.clusters[0].name = id;
  kubeconfig.users[0].name = id;
  kubeconfig.contexts = [{ name: id, context: { cluster: id, user: id } }];
  kubeconfig["current-context"] = id;
  // Written last and renamed into place: `kind create cluster` waits for this file.
  writeFileSync(join(dir, "kubeconfig.partial"), stringify(kubeconfig), { mode: 0o600 });
  renameSync(join(dir, "kubeconfig.partial"), join(dir, "kubeconfig"));
}

main().catch((e) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(1);
});
