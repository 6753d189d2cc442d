// Two additions to @pulumi/policy's analyzer service, installed before the PolicyPack starts it.
//
// @pulumi/policy 1.21.0 keeps its gRPC handlers private (server.js) and offers no hook for either need:
// - Configure: the engine sends every policy's reconciled config (level and properties) while it loads the
//   pack, after applying `--policy-pack-config`. Only here can the pack see and refuse a config that lowers
//   a rule; an error from Configure stops `pulumi preview`/`up` before the program runs. The stack it is
//   for comes just before, in ConfigureStack (server.js reads only the tags from it).
// - Analyze: each resource's inputs, recorded for the stack policies (policies/lib/inputs.ts), which on a
//   first preview receive Kubernetes objects without properties.
// Both wrap the library's own handlers, which still do all the work: the service is the one
// @pulumi/pulumi defines and server.js registers, on the one @grpc/grpc-js both packages resolve to.
import * as grpc from "@grpc/grpc-js";
import { EnforcementLevel, unknownCheckingProxy } from "@pulumi/policy";
import { recordInputs } from "../policies/lib/inputs";
import { ReceivedPolicyConfig, stackName } from "./pack-config";

/* eslint-disable @typescript-eslint/no-require-imports, @typescript-eslint/no-explicit-any --
   the generated gRPC stubs and @pulumi/policy's internals ship without typings. */
const { AnalyzerService } = require("@pulumi/pulumi/proto/analyzer_grpc_pb") as { AnalyzerService: grpc.ServiceDefinition };
const { deserializeProperties } = require("@pulumi/policy/deserialize") as {
  deserializeProperties(s: unknown, keepUnknowns: boolean): any;
};
const { convertEnforcementLevel } = require("@pulumi/policy/protoutil") as { convertEnforcementLevel(level: number): EnforcementLevel };

type Handler = (call: { request: any }, callback: (error: grpc.ServiceError | null, response?: unknown) => void) => void;

/** The config of a Configure request, by policy, as server.js reads it. */
function receivedConfig(request: any): Map<string, ReceivedPolicyConfig> {
  const received = new Map<string, ReceivedPolicyConfig>();
  for (const [name, config] of request.getPolicyconfigMap().entries() as Iterable<[string, any]>) {
    received.set(name, {
      enforcementLevel: convertEnforcementLevel(config.getEnforcementlevel()),
      properties: config.getProperties()?.toJavaScript() ?? {},
    });
  }
  return received;
}

/**
 * Makes the analyzer service refuse a Configure request for which `refusals` returns reasons (the engine
 * prints the error and fails), and record every Analyze request's inputs. Call once, before the PolicyPack
 * is constructed.
 */
export function hookAnalyzerService(
  packName: string,
  refusals: (stack: string | undefined, received: ReadonlyMap<string, ReceivedPolicyConfig>) => string[],
): void {
  const addService = grpc.Server.prototype.addService;
  // One pack process serves one stack's operation; undefined until the engine names it.
  let stack: string | undefined;
  grpc.Server.prototype.addService = function (service, implementation) {
    if (service !== AnalyzerService) {
      return addService.call(this, service, implementation);
    }
    const configureStack = implementation.configureStack as Handler;
    const configure = implementation.configure as Handler;
    const analyze = implementation.analyze as Handler;
    return addService.call(this, service, {
      ...implementation,
      configureStack: ((call, callback) => {
        stack = stackName(call.request.getStack());
        return configureStack(call, callback);
      }) as Handler,
      configure: ((call, callback) => {
        const reasons = refusals(stack, receivedConfig(call.request));
        if (reasons.length === 0) {
          return configure(call, callback);
        }
        const message =
          `policy pack ${packName} refuses this policy config for stack ${stack ?? "(not named)"}; the replica rules ` +
          `stay mandatory and the thresholds are the stack's own (policy/config/<stack>.json) or the strict defaults:\n  ${reasons.join("\n  ")}`;
        callback(
          Object.assign(new Error(message), { code: grpc.status.INVALID_ARGUMENT, details: message, metadata: new grpc.Metadata() }),
        );
      }) as Handler,
      analyze: ((call, callback) => {
        // Proxied as server.js does, so a value still unknown in the preview stops a policy instead of reading as unset.
        recordInputs(call.request.getUrn(), unknownCheckingProxy(deserializeProperties(call.request.getProperties(), false)));
        return analyze(call, callback);
      }) as Handler,
    });
  };
}
