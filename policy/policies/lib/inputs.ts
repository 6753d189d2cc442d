// The inputs of every resource the analyzer has been asked about in this run, for the stack policies.
//
// Stack policies receive each resource's outputs. On a stack's first preview the cluster does not exist,
// the Kubernetes provider cannot be asked, and every Kubernetes object reaches them with no properties at
// all; yet the engine has already shown each of those objects' inputs to the analyzer (the Analyze call
// that runs the resource policies), and those inputs are what the program asks for. Falling back to them
// lets the stack policies decide on that preview (the pull-request case) instead of reporting that they
// cannot run. The analyzer host (policy/analyzer-host.ts) records every Analyze request here; the test
// harness records the resources it analyzes the same way.

/** The part of a resource the store keeps: its URN and inputs. */
interface Recorded {
  /** Resource inputs, as the Analyze call received them (unknown values still marked). */
  // The engine hands properties untyped; each policy narrows what it reads.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly props: Record<string, any>;
}

// One analyzer process serves one engine operation, so the store lives as long as that operation.
const recorded = new Map<string, Recorded>();

/** Keeps the inputs an Analyze call received for `urn` (a later call for the same URN replaces them). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function recordInputs(urn: string, props: Record<string, any>): void {
  recorded.set(urn, { props });
}

/** The inputs recorded for `urn`, if the analyzer saw that resource in this run. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function recordedInputs(urn: string): Record<string, any> | undefined {
  return recorded.get(urn)?.props;
}

/** Forgets every recorded input: a new run starts (the test harness runs many in one process). */
export function forgetInputs(): void {
  recorded.clear();
}
