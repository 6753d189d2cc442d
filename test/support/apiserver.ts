// A real etcd + kube-apiserver on 127.0.0.1 for the API-server test stage (test-apiserver/), and with
// kube-controller-manager, kube-scheduler and kwok fake nodes the local control plane of the
// convergence stage (test-converge/): built by scripts/apiserver/build.sh, started with throwaway
// certificates in a temp dir, always stopped.
import { ChildProcess, execFile, spawn } from "child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "fs";
import { request } from "https";
import { AddressInfo, createServer } from "net";
import { tmpdir } from "os";
import { dirname, join } from "path";
import { parseEnv, promisify } from "util";
import { stringify } from "yaml";
import { Crd, loadCrds } from "./crds";
import { root } from "./program";
import { runCaptured } from "./run";

const run = promisify(execFile);
const buildScript = join(root, "scripts", "apiserver", "build.sh");

/** Paths of the binaries build.sh produced (or found in the tools cache). */
export interface Tools {
  /** The etcd server binary. */
  readonly etcd: string;
  /** The kube-apiserver binary. */
  readonly kubeApiserver: string;
  /** The Helm CLI, which renders and installs the charts the program's HelmReleases name. */
  readonly helm: string;
  /** Wall-clock seconds build.sh took (minutes when cold, well under a second when reused). */
  readonly seconds: number;
  /** Whether both binaries came from the cache rather than a build. */
  readonly reused: boolean;
}

/** The convergence stage's tools on top of the API server's. */
export interface ControlPlaneTools extends Tools {
  readonly kubeControllerManager: string;
  readonly kubeScheduler: string;
  readonly kwok: string;
  /** The kwok configuration build.sh renders beside the binary: its default Stages. */
  readonly kwokStages: string;
  /** The real flux CLI, at the pinned version. */
  readonly flux: string;
  /** The flux CLI of the version before the pin, for the upgrade scenario. */
  readonly fluxPrevious: string;
}

/** What one kubectl invocation produced. */
export interface KubectlResult {
  /** Exit code (0 = success). */
  readonly code: number;
  /** Standard output. */
  readonly stdout: string;
  /** Standard error: where kubectl prints the server's rejection. */
  readonly stderr: string;
}

/** A running etcd + kube-apiserver pair. */
export interface ApiServer {
  /** https://127.0.0.1:<port> */
  readonly url: string;
  /** Kubeconfig file (cluster-admin client certificate, embedded) for clients such as kubectl. */
  readonly kubeconfig: string;
  /** PEM material of that kubeconfig, for clients that speak HTTPS themselves. */
  readonly tls: { readonly ca: string; readonly cert: string; readonly key: string };
  /** Seconds from spawning etcd until kube-apiserver answered /readyz. */
  readonly startSeconds: number;
  /** Runs kubectl against this server, optionally with `input` on stdin. Never throws on a non-zero exit. */
  kubectl(args: readonly string[], input?: string): Promise<KubectlResult>;
  /** Stops both processes and removes the temp dir; safe to call more than once. */
  stop(): Promise<void>;
}

/** The tool versions build.sh builds (scripts/apiserver/versions.env), e.g. FLUX_PREVIOUS_VERSION. */
export const toolVersions: Readonly<Record<string, string>> = parseEnv(
  readFileSync(join(root, "scripts", "apiserver", "versions.env"), "utf8"),
) as Record<string, string>;

/** kubectl binary: Debian's package by default; KUBECTL overrides it. */
export const kubectlPath = process.env.KUBECTL ?? "kubectl";

/** Runs build.sh for `names` (progress on this process's stderr); returns each binary's path and whether all were reused. */
async function runBuild(names: readonly string[]): Promise<{ paths: Map<string, string>; seconds: number; reused: boolean }> {
  const started = Date.now();
  const child = spawn(buildScript, [...names], { stdio: ["ignore", "pipe", "inherit"] });
  let stdout = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  const code = await new Promise<number>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (c) => resolve(c ?? 1));
  });
  if (code !== 0) throw new Error(`${buildScript} failed with exit code ${code} (its output is above)`);
  // One line per binary: `<name> built|reused <path>`.
  const lines = stdout
    .trim()
    .split("\n")
    .map((line) => line.split(" "));
  const paths = new Map(lines.map(([name, , path]) => [name, path] as const));
  for (const name of names) {
    if (!paths.get(name)) throw new Error(`${buildScript} printed no path for ${name}: ${stdout}`);
  }
  return { paths, seconds: (Date.now() - started) / 1000, reused: lines.every(([, status]) => status === "reused") };
}

/** Runs build.sh for etcd, kube-apiserver and helm and returns the binaries' paths. */
export async function buildTools(): Promise<Tools> {
  const { paths, seconds, reused } = await runBuild(["etcd", "kube-apiserver", "helm"]);
  return { etcd: paths.get("etcd")!, kubeApiserver: paths.get("kube-apiserver")!, helm: paths.get("helm")!, seconds, reused };
}

/** Runs build.sh for cyclonus, the NetworkPolicy evaluator, and returns its path. */
export async function buildCyclonus(): Promise<string> {
  return (await runBuild(["cyclonus"])).paths.get("cyclonus")!;
}

/** Runs build.sh for every tool of the local control plane, flux included (one after another: cold, many minutes). */
export async function buildControlPlaneTools(): Promise<ControlPlaneTools> {
  const { paths, seconds, reused } = await runBuild([
    "etcd",
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
    "kwok",
    "flux",
    "flux-previous",
    "helm",
  ]);
  const kwok = paths.get("kwok")!;
  return {
    etcd: paths.get("etcd")!,
    kubeApiserver: paths.get("kube-apiserver")!,
    kubeControllerManager: paths.get("kube-controller-manager")!,
    kubeScheduler: paths.get("kube-scheduler")!,
    kwok,
    kwokStages: join(dirname(kwok), "stages.yaml"),
    flux: paths.get("flux")!,
    fluxPrevious: paths.get("flux-previous")!,
    helm: paths.get("helm")!,
    seconds,
    reused,
  };
}

// Every child still running; killed synchronously when this process exits for any reason.
const live = new Set<ChildProcess>();
const tempDirs = new Set<string>();

function killEverything(): void {
  for (const child of live) child.kill("SIGKILL");
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
}

let handlersInstalled = false;
function installExitHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on("exit", killEverything);
  for (const [signal, number] of [
    ["SIGINT", 2],
    ["SIGTERM", 15],
    ["SIGHUP", 1],
  ] as const) {
    process.on(signal, () => {
      killEverything();
      process.exit(128 + number);
    });
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.listen(0, "127.0.0.1", resolve).on("error", reject));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Throwaway PKI: a CA, the serving certificate, a system:masters client certificate, a service-account key. */
interface Pki {
  /** CA certificate that signed the others (PEM path). */
  readonly ca: string;
  /** kube-apiserver's serving certificate, for 127.0.0.1. */
  readonly serverCert: string;
  /** Key of the serving certificate. */
  readonly serverKey: string;
  /** Client certificate in group system:masters. */
  readonly adminCert: string;
  /** Key of the client certificate. */
  readonly adminKey: string;
  /** Private key that signs service-account tokens. */
  readonly serviceAccountKey: string;
  /** Its public key, which verifies them. */
  readonly serviceAccountPublicKey: string;
}

async function makePki(dir: string): Promise<Pki> {
  const p = (name: string) => join(dir, name);
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1"];
  const openssl = (args: string[]) => run("openssl", args, { cwd: dir });
  await openssl(["req", "-x509", ...ec, "-keyout", p("ca.key"), "-out", p("ca.crt"), "-subj", "/CN=kafka-on-k8s-test-ca"]);
  const leaf = (name: string, subject: string, extensions: string[]) =>
    openssl([
      "req",
      "-x509",
      ...ec,
      "-CA",
      p("ca.crt"),
      "-CAkey",
      p("ca.key"),
      "-keyout",
      p(`${name}.key`),
      "-out",
      p(`${name}.crt`),
      "-subj",
      subject,
      "-addext",
      "basicConstraints=critical,CA:FALSE",
      ...extensions.flatMap((e) => ["-addext", e]),
    ]);
  await Promise.all([
    leaf("server", "/CN=kube-apiserver", ["subjectAltName=IP:127.0.0.1,DNS:localhost", "extendedKeyUsage=serverAuth"]),
    // O=system:masters: the group RBAC grants everything to, without any bindings.
    leaf("admin", "/O=system:masters/CN=kafka-on-k8s-test-admin", ["extendedKeyUsage=clientAuth"]),
    // SEC1 ("EC PRIVATE KEY"): kube-apiserver's key reader does not take PKCS#8 EC keys.
    openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", p("service-account.key")]),
  ]);
  await openssl(["ec", "-in", p("service-account.key"), "-pubout", "-out", p("service-account.pub")]);
  return {
    ca: p("ca.crt"),
    serverCert: p("server.crt"),
    serverKey: p("server.key"),
    adminCert: p("admin.crt"),
    adminKey: p("admin.key"),
    serviceAccountKey: p("service-account.key"),
    serviceAccountPublicKey: p("service-account.pub"),
  };
}

function startProcess(binary: string, args: string[], logFile: string): ChildProcess {
  const log = openSync(logFile, "a");
  const child = spawn(binary, args, { stdio: ["ignore", log, log] });
  closeSync(log);
  live.add(child);
  child.on("exit", () => live.delete(child));
  return child;
}

const tail = (file: string) => (existsSync(file) ? readFileSync(file, "utf8").trimEnd().split("\n").slice(-25).join("\n") : "(no log)");

/** Polls `probe` until it resolves true; fails fast with the log's tail if the process exits first. */
async function waitUntil(
  what: string,
  child: ChildProcess,
  logFile: string,
  probe: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${what} exited (${child.exitCode ?? child.signalCode}) before it was ready; log tail:\n${tail(logFile)}`);
    }
    if (await probe().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} not ready after ${timeoutMs / 1000} s; log tail:\n${tail(logFile)}`);
}

function readyz(url: string, pki: Pki): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}/readyz`,
      {
        ca: readFileSync(pki.ca),
        cert: readFileSync(pki.adminCert),
        key: readFileSync(pki.adminKey),
      },
      (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      },
    );
    req.on("error", reject);
    req.end();
  });
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}

/** Starts etcd and kube-apiserver on free 127.0.0.1 ports and waits for /readyz. */
export function startApiServer(tools: Tools): Promise<ApiServer> {
  return launch(tools);
}

/** A fake node kwok keeps Ready; kind's roles, so the control-plane node is tainted as kind's is. */
export interface FakeNode {
  readonly name: string;
  readonly role: "control-plane" | "worker";
  /** Labels beyond kwok's and the role's: a cloud's node labels (instance type, region, node pool). */
  readonly labels?: Record<string, string>;
}

/** What a control plane is started with beyond its nodes. */
export interface ControlPlaneOptions {
  /**
   * Bearer tokens the API server accepts (its --token-auth-file): e.g. a cloud account's API token, which
   * DOKS accepts as cluster-admin. Each is its own user, so the audit log tells who called.
   */
  readonly tokens?: readonly { readonly token: string; readonly user: string; readonly groups: readonly string[] }[];
  /** Writes an audit log (metadata of every request: user, verb, resource) to this file. */
  readonly auditLog?: string;
}

/**
 * Starts the API server plus kube-controller-manager, kube-scheduler and kwok with `nodes` as fake
 * nodes, and waits until every node is Ready: Deployments then really roll out (their pods are
 * scheduled and kwok reports them Running and Ready, though no container runs).
 */
export function startControlPlane(
  tools: ControlPlaneTools,
  nodes: readonly FakeNode[],
  options: ControlPlaneOptions = {},
): Promise<ApiServer> {
  return launch(tools, nodes, options);
}

/** Whether an HTTPS health endpoint of a component with a self-signed serving certificate answers 200. */
function healthy(url: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    // The component made its own certificate at start; nothing else is reachable on 127.0.0.1:<port>.
    const req = request(url, { rejectUnauthorized: false }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on("error", reject);
    req.end();
  });
}

async function launch(tools: Tools, nodes?: readonly FakeNode[], options: ControlPlaneOptions = {}): Promise<ApiServer> {
  installExitHandlers();
  const dir = mkdtempSync(join(tmpdir(), "kafka-on-k8s-apiserver-"));
  tempDirs.add(dir);
  const children: ChildProcess[] = [];
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    // The API server's clients first, then the API server: each would otherwise log connection errors.
    for (const child of children.reverse()) await stopProcess(child);
    rmSync(dir, { recursive: true, force: true });
    tempDirs.delete(dir);
  };
  try {
    const started = Date.now();
    const [pki, etcdPort, peerPort, securePort] = await Promise.all([makePki(dir), freePort(), freePort(), freePort()]);
    const etcdUrl = `http://127.0.0.1:${etcdPort}`;
    const peerUrl = `http://127.0.0.1:${peerPort}`;
    const etcdLog = join(dir, "etcd.log");
    const etcd = startProcess(
      tools.etcd,
      [
        `--data-dir=${join(dir, "etcd")}`,
        "--name=test",
        `--listen-client-urls=${etcdUrl}`,
        `--advertise-client-urls=${etcdUrl}`,
        `--listen-peer-urls=${peerUrl}`,
        `--initial-advertise-peer-urls=${peerUrl}`,
        `--initial-cluster=test=${peerUrl}`,
        // A test's data is thrown away: skipping fsync makes writes (and CRD installs) fast.
        "--unsafe-no-fsync",
        "--log-level=warn",
      ],
      etcdLog,
    );
    children.push(etcd);
    await waitUntil("etcd", etcd, etcdLog, async () => (await fetch(`${etcdUrl}/health`)).ok, 30_000);

    const url = `https://127.0.0.1:${securePort}`;
    const apiLog = join(dir, "kube-apiserver.log");
    const apiserver = startProcess(
      tools.kubeApiserver,
      [
        `--etcd-servers=${etcdUrl}`,
        "--bind-address=127.0.0.1",
        "--advertise-address=127.0.0.1",
        `--secure-port=${securePort}`,
        `--tls-cert-file=${pki.serverCert}`,
        `--tls-private-key-file=${pki.serverKey}`,
        `--client-ca-file=${pki.ca}`,
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
        `--service-account-key-file=${pki.serviceAccountPublicKey}`,
        `--service-account-signing-key-file=${pki.serviceAccountKey}`,
        "--service-cluster-ip-range=10.96.0.0/16",
        ...(nodes
          ? [
              // Node authorization for kwok's node identities; the request-header CA stops the controller
              // manager and scheduler from logging that the extension-apiserver CA bundle is missing. No
              // certificate carries the allowed name, so no client can act as an authenticating proxy.
              "--authorization-mode=Node,RBAC",
              `--requestheader-client-ca-file=${pki.ca}`,
              "--requestheader-allowed-names=kafka-on-k8s-no-front-proxy",
              "--requestheader-username-headers=X-Remote-User",
              "--requestheader-group-headers=X-Remote-Group",
              "--requestheader-extra-headers-prefix=X-Remote-Extra-",
            ]
          : ["--authorization-mode=RBAC"]),
        // No kubelets or other API servers exist; reconciling the kubernetes Endpoints would only warn.
        "--endpoint-reconciler-type=none",
        ...(options.tokens?.length ? [`--token-auth-file=${tokenFile(dir, options.tokens)}`] : []),
        ...(options.auditLog ? [`--audit-policy-file=${auditPolicy(dir)}`, `--audit-log-path=${options.auditLog}`] : []),
        `--cert-dir=${dir}`,
        "--profiling=false",
      ],
      apiLog,
    );
    children.push(apiserver);
    await waitUntil("kube-apiserver", apiserver, apiLog, () => readyz(url, pki), 120_000);

    const kubeconfig = join(dir, "kubeconfig.yaml");
    const tls = { ca: readFileSync(pki.ca, "utf8"), cert: readFileSync(pki.adminCert, "utf8"), key: readFileSync(pki.adminKey, "utf8") };
    const b64 = (pem: string) => Buffer.from(pem).toString("base64");
    // Embedded, not file paths: `kind get kubeconfig` hands this text to programs that keep no files.
    writeFileSync(
      kubeconfig,
      stringify({
        apiVersion: "v1",
        kind: "Config",
        "current-context": "test",
        clusters: [{ name: "test", cluster: { server: url, "certificate-authority-data": b64(tls.ca) } }],
        users: [{ name: "admin", user: { "client-certificate-data": b64(tls.cert), "client-key-data": b64(tls.key) } }],
        contexts: [{ name: "test", context: { cluster: "test", user: "admin" } }],
      }),
      { mode: 0o600 },
    );
    const cacheDir = join(dir, "kubectl-cache");
    const server: ApiServer = {
      url,
      kubeconfig,
      tls,
      startSeconds: 0,
      stop,
      kubectl: (args, input) => kubectl(["--kubeconfig", kubeconfig, "--cache-dir", cacheDir, ...args], input),
    };
    if (nodes) children.push(...(await startControllers(tools as ControlPlaneTools, server, pki, dir, nodes)));
    return { ...server, startSeconds: (Date.now() - started) / 1000 };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Starts kube-controller-manager, kube-scheduler and kwok against `server`, registers `nodes`, waits until all are Ready. */
async function startControllers(
  tools: ControlPlaneTools,
  server: ApiServer,
  pki: Pki,
  dir: string,
  nodes: readonly FakeNode[],
): Promise<ChildProcess[]> {
  const [kcmPort, schedulerPort] = await Promise.all([freePort(), freePort()]);
  const kcmLog = join(dir, "kube-controller-manager.log");
  const kcm = startProcess(
    tools.kubeControllerManager,
    [
      `--kubeconfig=${server.kubeconfig}`,
      "--bind-address=127.0.0.1",
      `--secure-port=${kcmPort}`,
      `--cert-dir=${dir}`,
      `--root-ca-file=${pki.ca}`,
      `--service-account-private-key-file=${pki.serviceAccountKey}`,
      // Each controller under its own service account, as in a real cluster: with the manager's own
      // identity the Deployment controllers are denied by RBAC and nothing ever becomes Available.
      "--use-service-account-credentials=true",
      `--cluster-signing-cert-file=${pki.ca}`,
      `--cluster-signing-key-file=${join(dir, "ca.key")}`,
      // Fake nodes carry no pod CIDR to allocate from.
      "--controllers=*,-nodeipam",
      "--leader-elect=false",
      "--profiling=false",
    ],
    kcmLog,
  );
  const schedulerLog = join(dir, "kube-scheduler.log");
  const scheduler = startProcess(
    tools.kubeScheduler,
    [
      `--kubeconfig=${server.kubeconfig}`,
      "--bind-address=127.0.0.1",
      `--secure-port=${schedulerPort}`,
      "--leader-elect=false",
      "--profiling=false",
    ],
    schedulerLog,
  );
  // The standalone kwok needs every option it defaults spelled out, plus Stages (rendered by build.sh).
  const kwokConfig = join(dir, "kwok.yaml");
  writeFileSync(
    kwokConfig,
    `${stringify({
      apiVersion: "config.kwok.x-k8s.io/v1alpha1",
      kind: "KwokConfiguration",
      metadata: { name: "kwok" },
      options: {
        cidr: "10.0.0.1/24",
        nodeIP: "10.0.0.1",
        manageAllNodes: false,
        manageNodesWithAnnotationSelector: "kwok.x-k8s.io/node=fake",
        enableDebuggingHandlers: false,
        enableContentionProfiling: false,
        enableProfilingHandler: false,
        podPlayStageParallelism: 4,
        nodePlayStageParallelism: 4,
        nodeLeaseDurationSeconds: 40,
        nodeLeaseParallelism: 4,
        podsOnNodeSyncParallelism: 1,
        enablePodsOnNodeSyncListPager: true,
        enablePodsOnNodeSyncStreamWatch: true,
      },
    })}---\n${readFileSync(tools.kwokStages, "utf8")}`,
  );
  const kwokLog = join(dir, "kwok.log");
  const kwok = startProcess(tools.kwok, [`--kubeconfig=${server.kubeconfig}`, `--config=${kwokConfig}`], kwokLog);
  const children = [kcm, scheduler, kwok];
  try {
    await Promise.all([
      waitUntil("kube-controller-manager", kcm, kcmLog, () => healthy(`https://127.0.0.1:${kcmPort}/healthz`), 120_000),
      waitUntil("kube-scheduler", scheduler, schedulerLog, () => healthy(`https://127.0.0.1:${schedulerPort}/healthz`), 120_000),
    ]);
    await registerFakeNodes(server, nodes).catch((e: Error) => {
      throw new Error(`${e.message}; kwok log tail:\n${tail(kwokLog)}`);
    });
  } catch (e) {
    for (const child of children.reverse()) await stopProcess(child);
    throw e;
  }
  return children;
}

/**
 * Registers `nodes` with kwok's annotation (kwok then keeps them Ready) and waits until they are: at start,
 * and when a cloud's node pool grows.
 */
export async function registerFakeNodes(server: ApiServer, nodes: readonly FakeNode[]): Promise<void> {
  const list = {
    apiVersion: "v1",
    kind: "List",
    items: nodes.map((n) => ({
      apiVersion: "v1",
      kind: "Node",
      metadata: {
        name: n.name,
        annotations: { "kwok.x-k8s.io/node": "fake" },
        labels: {
          ...n.labels,
          "kubernetes.io/hostname": n.name,
          "kubernetes.io/os": "linux",
          "kubernetes.io/arch": "amd64",
          type: "kwok",
          ...(n.role === "control-plane" ? { "node-role.kubernetes.io/control-plane": "" } : {}),
        },
      },
      spec: n.role === "control-plane" ? { taints: [{ key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" }] } : {},
    })),
  };
  const created = await server.kubectl(["create", "-f", "-"], JSON.stringify(list));
  if (created.code !== 0) throw new Error(`registering fake nodes failed: ${created.stderr}`);
  const names = nodes.map((n) => `node/${n.name}`);
  const ready = await server.kubectl(["wait", "--for=condition=Ready", "--timeout=60s", ...names]);
  if (ready.code !== 0) throw new Error(`fake nodes not Ready: ${ready.stderr}`);
}

/** The static token file: one `token,user,uid,"group1,group2"` line per token. */
function tokenFile(dir: string, tokens: NonNullable<ControlPlaneOptions["tokens"]>): string {
  const file = join(dir, "tokens.csv");
  writeFileSync(file, tokens.map((t) => `${t.token},${t.user},${t.user},"${t.groups.join(",")}"\n`).join(""), { mode: 0o600 });
  return file;
}

/** Audit policy: who did what, never request or response bodies (they hold Secrets). */
function auditPolicy(dir: string): string {
  const file = join(dir, "audit-policy.yaml");
  writeFileSync(
    file,
    stringify({ apiVersion: "audit.k8s.io/v1", kind: "Policy", omitStages: ["RequestReceived"], rules: [{ level: "Metadata" }] }),
  );
  return file;
}

async function kubectl(args: readonly string[], input?: string): Promise<KubectlResult> {
  try {
    const { code, stdout, stderr } = await runCaptured(kubectlPath, args, { input });
    return { code, stdout, stderr };
  } catch (e) {
    throw (e as NodeJS.ErrnoException).code === "ENOENT"
      ? new Error(`${kubectlPath} not found: install it (apt-get install -y kubectl) or set KUBECTL to a kubectl binary`)
      : e;
  }
}

/** Installs every CRD (or those `which` picks) from the CRD directory (see crds.ts: $KAFKA_K8S_CRD_DIR) and waits until each is Established. */
export async function installCrds(server: ApiServer, which: (crd: Crd) => boolean = () => true): Promise<string[]> {
  const crds = (await loadCrds()).filter(which);
  const list = { apiVersion: "v1", kind: "List", items: crds.map((c) => c.document) };
  const applied = await server.kubectl(["apply", "--server-side", "-f", "-"], JSON.stringify(list));
  if (applied.code !== 0) throw new Error(`installing CRDs failed: ${applied.stderr}`);
  const names = crds.map((c) => `${c.plural}.${c.group}`);
  const established = await server.kubectl([
    "wait",
    "--for=condition=Established",
    "--timeout=60s",
    ...names.map((n) => `customresourcedefinition/${n}`),
  ]);
  if (established.code !== 0) throw new Error(`CRDs not Established: ${established.stderr}`);
  return names;
}
