// A real etcd + kube-apiserver on 127.0.0.1 for the API-server test stage (test-apiserver/): built by
// scripts/apiserver/build.sh, started with throwaway certificates in a temp dir, always stopped.
import { ChildProcess, execFile, spawn } from "child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "fs";
import { request } from "https";
import { AddressInfo, createServer } from "net";
import { tmpdir } from "os";
import { join } from "path";
import { promisify } from "util";
import { stringify } from "yaml";
import { loadCrds } from "./crds";
import { root } from "./program";

const run = promisify(execFile);
const buildScript = join(root, "scripts", "apiserver", "build.sh");

/** Paths of the binaries build.sh produced (or found in the tools cache). */
export interface Tools {
    /** The etcd server binary. */
    readonly etcd: string;
    /** The kube-apiserver binary. */
    readonly kubeApiserver: string;
    /** Wall-clock seconds build.sh took (minutes when cold, well under a second when reused). */
    readonly seconds: number;
    /** Whether both binaries came from the cache rather than a build. */
    readonly reused: boolean;
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
    /** Kubeconfig (cluster-admin client certificate) for clients such as kubectl. */
    readonly kubeconfig: string;
    /** Seconds from spawning etcd until kube-apiserver answered /readyz. */
    readonly startSeconds: number;
    /** Runs kubectl against this server, optionally with `input` on stdin. Never throws on a non-zero exit. */
    kubectl(args: readonly string[], input?: string): Promise<KubectlResult>;
    /** Stops both processes and removes the temp dir; safe to call more than once. */
    stop(): Promise<void>;
}

/** kubectl binary: Debian's package by default; KUBECTL overrides it. */
export const kubectlPath = process.env.KUBECTL ?? "kubectl";

/** Runs build.sh (progress on this process's stderr) and returns the binaries' paths. */
export async function buildTools(): Promise<Tools> {
    const started = Date.now();
    const child = spawn(buildScript, [], { stdio: ["ignore", "pipe", "inherit"] });
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => { stdout += chunk.toString(); });
    const code = await new Promise<number>((resolve, reject) => {
        child.on("error", reject);
        child.on("close", c => resolve(c ?? 1));
    });
    if (code !== 0) throw new Error(`${buildScript} failed with exit code ${code} (its output is above)`);
    // One line per binary: `<name> built|reused <path>`.
    const lines = new Map(stdout.trim().split("\n").map(line => {
        const [name, status, path] = line.split(" ");
        return [name, { status, path }] as const;
    }));
    const etcd = lines.get("etcd");
    const kubeApiserver = lines.get("kube-apiserver");
    if (!etcd?.path || !kubeApiserver?.path) throw new Error(`${buildScript} printed no binary paths: ${stdout}`);
    return {
        etcd: etcd.path, kubeApiserver: kubeApiserver.path, seconds: (Date.now() - started) / 1000,
        reused: etcd.status === "reused" && kubeApiserver.status === "reused",
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
    for (const [signal, number] of [["SIGINT", 2], ["SIGTERM", 15], ["SIGHUP", 1]] as const) {
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
    await new Promise(resolve => server.close(resolve));
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
    const leaf = (name: string, subject: string, extensions: string[]) => openssl(["req", "-x509", ...ec,
        "-CA", p("ca.crt"), "-CAkey", p("ca.key"), "-keyout", p(`${name}.key`), "-out", p(`${name}.crt`), "-subj", subject,
        "-addext", "basicConstraints=critical,CA:FALSE", ...extensions.flatMap(e => ["-addext", e])]);
    await Promise.all([
        leaf("server", "/CN=kube-apiserver", ["subjectAltName=IP:127.0.0.1,DNS:localhost", "extendedKeyUsage=serverAuth"]),
        // O=system:masters: the group RBAC grants everything to, without any bindings.
        leaf("admin", "/O=system:masters/CN=kafka-on-k8s-test-admin", ["extendedKeyUsage=clientAuth"]),
        // SEC1 ("EC PRIVATE KEY"): kube-apiserver's key reader does not take PKCS#8 EC keys.
        openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", p("service-account.key")]),
    ]);
    await openssl(["ec", "-in", p("service-account.key"), "-pubout", "-out", p("service-account.pub")]);
    return {
        ca: p("ca.crt"), serverCert: p("server.crt"), serverKey: p("server.key"),
        adminCert: p("admin.crt"), adminKey: p("admin.key"),
        serviceAccountKey: p("service-account.key"), serviceAccountPublicKey: p("service-account.pub"),
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

const tail = (file: string) => existsSync(file) ? readFileSync(file, "utf8").trimEnd().split("\n").slice(-25).join("\n") : "(no log)";

/** Polls `probe` until it resolves true; fails fast with the log's tail if the process exits first. */
async function waitUntil(what: string, child: ChildProcess, logFile: string, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
        if (child.exitCode !== null || child.signalCode !== null) {
            throw new Error(`${what} exited (${child.exitCode ?? child.signalCode}) before it was ready; log tail:\n${tail(logFile)}`);
        }
        if (await probe().catch(() => false)) return;
        await new Promise(r => setTimeout(r, 100));
    }
    throw new Error(`${what} not ready after ${timeoutMs / 1000} s; log tail:\n${tail(logFile)}`);
}

function readyz(url: string, pki: Pki): Promise<boolean> {
    return new Promise((resolve, reject) => {
        const req = request(`${url}/readyz`, {
            ca: readFileSync(pki.ca), cert: readFileSync(pki.adminCert), key: readFileSync(pki.adminKey),
        }, res => {
            res.resume();
            resolve(res.statusCode === 200);
        });
        req.on("error", reject);
        req.end();
    });
}

async function stopProcess(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise(resolve => child.once("exit", resolve));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
}

/** Starts etcd and kube-apiserver on free 127.0.0.1 ports and waits for /readyz. */
export async function startApiServer(tools: Tools): Promise<ApiServer> {
    installExitHandlers();
    const dir = mkdtempSync(join(tmpdir(), "kafka-on-k8s-apiserver-"));
    tempDirs.add(dir);
    const children: ChildProcess[] = [];
    let stopped = false;
    const stop = async () => {
        if (stopped) return;
        stopped = true;
        // The API server first: it would otherwise log etcd connection errors while shutting down.
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
        const etcd = startProcess(tools.etcd, [
            `--data-dir=${join(dir, "etcd")}`, "--name=test",
            `--listen-client-urls=${etcdUrl}`, `--advertise-client-urls=${etcdUrl}`,
            `--listen-peer-urls=${peerUrl}`, `--initial-advertise-peer-urls=${peerUrl}`, `--initial-cluster=test=${peerUrl}`,
            // A test's data is thrown away: skipping fsync makes writes (and CRD installs) fast.
            "--unsafe-no-fsync", "--log-level=warn",
        ], etcdLog);
        children.push(etcd);
        await waitUntil("etcd", etcd, etcdLog, async () => (await fetch(`${etcdUrl}/health`)).ok, 30_000);

        const url = `https://127.0.0.1:${securePort}`;
        const apiLog = join(dir, "kube-apiserver.log");
        const apiserver = startProcess(tools.kubeApiserver, [
            `--etcd-servers=${etcdUrl}`,
            "--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", `--secure-port=${securePort}`,
            `--tls-cert-file=${pki.serverCert}`, `--tls-private-key-file=${pki.serverKey}`, `--client-ca-file=${pki.ca}`,
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            `--service-account-key-file=${pki.serviceAccountPublicKey}`, `--service-account-signing-key-file=${pki.serviceAccountKey}`,
            "--service-cluster-ip-range=10.96.0.0/16",
            "--authorization-mode=RBAC",
            // No kubelets or other API servers exist; reconciling the kubernetes Endpoints would only warn.
            "--endpoint-reconciler-type=none",
            `--cert-dir=${dir}`,
            "--profiling=false",
        ], apiLog);
        children.push(apiserver);
        await waitUntil("kube-apiserver", apiserver, apiLog, () => readyz(url, pki), 120_000);
        const startSeconds = (Date.now() - started) / 1000;

        const kubeconfig = join(dir, "kubeconfig.yaml");
        writeFileSync(kubeconfig, stringify({
            apiVersion: "v1", kind: "Config", "current-context": "test",
            clusters: [{ name: "test", cluster: { server: url, "certificate-authority": pki.ca } }],
            users: [{ name: "admin", user: { "client-certificate": pki.adminCert, "client-key": pki.adminKey } }],
            contexts: [{ name: "test", context: { cluster: "test", user: "admin" } }],
        }));
        const cacheDir = join(dir, "kubectl-cache");
        return {
            url, kubeconfig, startSeconds, stop,
            kubectl: (args, input) => kubectl(["--kubeconfig", kubeconfig, "--cache-dir", cacheDir, ...args], input),
        };
    } catch (e) {
        await stop();
        throw e;
    }
}

function kubectl(args: readonly string[], input?: string): Promise<KubectlResult> {
    return new Promise((resolve, reject) => {
        const child = spawn(kubectlPath, args, { stdio: ["pipe", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (c: Buffer) => { stdout += c.toString(); });
        child.stderr.on("data", (c: Buffer) => { stderr += c.toString(); });
        child.on("error", e => reject((e as NodeJS.ErrnoException).code === "ENOENT"
            ? new Error(`${kubectlPath} not found: install it (apt-get install -y kubectl) or set KUBECTL to a kubectl binary`)
            : e));
        child.on("close", code => resolve({ code: code ?? 1, stdout, stderr }));
        child.stdin.end(input ?? "");
    });
}

/** Installs every CRD from the CRD directory (see crds.ts: $KAFKA_K8S_CRD_DIR) and waits until each is Established. */
export async function installCrds(server: ApiServer): Promise<string[]> {
    const crds = await loadCrds();
    const list = { apiVersion: "v1", kind: "List", items: crds.map(c => c.document) };
    const applied = await server.kubectl(["apply", "--server-side", "-f", "-"], JSON.stringify(list));
    if (applied.code !== 0) throw new Error(`installing CRDs failed: ${applied.stderr}`);
    const names = crds.map(c => `${c.plural}.${c.group}`);
    const established = await server.kubectl(["wait", "--for=condition=Established", "--timeout=60s",
        ...names.map(n => `customresourcedefinition/${n}`)]);
    if (established.code !== 0) throw new Error(`CRDs not Established: ${established.stderr}`);
    return names;
}
