// Starts the real policy pack the way `pulumi preview --policy-pack policy` does (the Node.js analyzer
// host `run-policy-pack` with ts-node, in policy/) and talks to its gRPC analyzer like the engine.
import { ChildProcess, spawn } from "child_process";
import { join } from "path";
import * as grpc from "@grpc/grpc-js";
import * as analyzerrpc from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import * as analyzerpb from "@pulumi/pulumi/proto/analyzer_pb";
import { PackConfig, policyDir, TestResource } from "./harness";

// The message classes must come from the copy of google-protobuf the generated code uses.
const protobufDir = join(policyDir, "node_modules", "google-protobuf", "google", "protobuf");
const { Struct } = require(join(protobufDir, "struct_pb")) as { Struct: { fromJavaScript(value: object): unknown } };
const { Empty } = require(join(protobufDir, "empty_pb")) as { Empty: new () => unknown };

const LEVELS: Record<string, analyzerpb.EnforcementLevel> = {
  advisory: analyzerpb.EnforcementLevel.ADVISORY,
  mandatory: analyzerpb.EnforcementLevel.MANDATORY,
  disabled: analyzerpb.EnforcementLevel.DISABLED,
  remediate: analyzerpb.EnforcementLevel.REMEDIATE,
};

/** A diagnostic as the engine receives it. */
export interface Diagnostic {
  /** Policy name. */
  readonly policy: string;
  /** Enforcement level name. */
  readonly level: string;
  /** Message (the server prefixes the policy description and a newline). */
  readonly message: string;
}

/** A running policy pack process and a client connected to it. */
export interface RunningPack {
  /** The analyzer client. */
  readonly client: analyzerrpc.AnalyzerClient;
  /** Stops the process this helper started. */
  stop(): void;
}

/**
 * Starts the pack for `stack` and names the stack to it as the engine does (ConfigureStack; the pack accepts
 * only that stack's own thresholds or the strict defaults). ts-node type-checks the pack first: tens of seconds.
 */
export async function startPack(stack: string): Promise<RunningPack> {
  const host = join(policyDir, "node_modules", "@pulumi", "pulumi", "cmd", "run-policy-pack");
  // The first argument is the engine address; the pack only dials it to log, which it does not do.
  const child: ChildProcess = spawn(process.execPath, [host, "127.0.0.1:1", "."], {
    cwd: policyDir,
    stdio: ["ignore", "pipe", "pipe"],
  });
  // The analyzer serves until killed; make sure it never outlives the test process.
  const killChild = () => child.kill();
  process.once("exit", killChild);
  let stderr = "";
  child.stderr!.on("data", (chunk) => {
    stderr += chunk;
  });
  const port = await new Promise<number>((resolve, reject) => {
    let stdout = "";
    child.stdout!.on("data", (chunk) => {
      stdout += chunk;
      const line = /^(\d+)\s*$/m.exec(stdout);
      if (line) {
        resolve(Number(line[1]));
      }
    });
    child.on("exit", (code) => reject(new Error(`policy pack exited with ${code} before serving:\n${stderr}${stdout}`)));
  });
  const client = new analyzerrpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  // As the engine does right after starting a pack: name the stack (the pack takes its thresholds from it).
  const stackRequest = new analyzerpb.AnalyzerStackConfigureRequest();
  stackRequest.setStack(stack);
  await call(client.configureStack.bind(client), stackRequest);
  return {
    client,
    stop: () => {
      client.close();
      child.kill();
      process.removeListener("exit", killChild);
    },
  };
}

const call = <Req, Res>(method: (req: Req, cb: (err: grpc.ServiceError | null, res: Res) => void) => unknown, req: Req) =>
  new Promise<Res>((resolve, reject) => method(req, (err, res) => (err ? reject(err) : resolve(res))));

/** Sends the effective config, as the CLI does after reconciling the config file with the schema. */
export function configure(pack: RunningPack, config: PackConfig): Promise<unknown> {
  const request = new analyzerpb.ConfigureAnalyzerRequest();
  for (const [name, { enforcementLevel, properties }] of config) {
    const policyConfig = new analyzerpb.PolicyConfig();
    policyConfig.setEnforcementlevel(LEVELS[enforcementLevel]);
    policyConfig.setProperties(Struct.fromJavaScript(properties) as never);
    request.getPolicyconfigMap().set(name, policyConfig);
  }
  return call(pack.client.configure.bind(pack.client), request);
}

/** The pack's metadata (GetAnalyzerInfo). */
export function analyzerInfo(pack: RunningPack): Promise<analyzerpb.AnalyzerInfo> {
  return call(pack.client.getAnalyzerInfo.bind(pack.client), new Empty() as never);
}

const urnOf = (r: TestResource) => `urn:pulumi:test::kafka-on-k8s::${r.type}::${r.name}`;

function options(): analyzerpb.AnalyzerResourceOptions {
  const opts = new analyzerpb.AnalyzerResourceOptions();
  opts.setCustomtimeouts(new analyzerpb.AnalyzerResourceOptions.CustomTimeouts());
  return opts;
}

/** Props as a protobuf Struct; JSON round-trip drops `undefined`, which a Struct cannot carry. */
const struct = (props: Record<string, unknown>) => Struct.fromJavaScript(JSON.parse(JSON.stringify(props))) as never;

function diagnostics(response: analyzerpb.AnalyzeResponse): Diagnostic[] {
  const names = Object.fromEntries(Object.entries(LEVELS).map(([name, level]) => [level, name]));
  return response
    .getDiagnosticsList()
    .map((d) => ({ policy: d.getPolicyname(), level: names[d.getEnforcementlevel()], message: d.getMessage() }));
}

/** Analyze: every resource policy on one resource's inputs. */
export async function analyze(pack: RunningPack, resource: TestResource): Promise<Diagnostic[]> {
  const request = new analyzerpb.AnalyzeRequest();
  request.setType(resource.type);
  request.setName(resource.name);
  request.setUrn(urnOf(resource));
  request.setProperties(struct(resource.props));
  request.setOptions(options());
  return diagnostics(await call(pack.client.analyze.bind(pack.client), request));
}

/** AnalyzeStack: every stack policy on all resources. */
export async function analyzeStack(pack: RunningPack, resources: readonly TestResource[]): Promise<Diagnostic[]> {
  const request = new analyzerpb.AnalyzeStackRequest();
  request.setResourcesList(
    resources.map((resource) => {
      const r = new analyzerpb.AnalyzerResource();
      r.setType(resource.type);
      r.setName(resource.name);
      r.setUrn(urnOf(resource));
      // Stack policies receive outputs (none for a Kubernetes object on a first preview).
      r.setProperties(struct(resource.outputs ?? resource.props));
      r.setOptions(options());
      return r;
    }),
  );
  return diagnostics(await call(pack.client.analyzeStack.bind(pack.client), request));
}
