// The namespaces this program's components own, each labelled for Pod Security Admission.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

/** The Pod Security Standard a namespace enforces; every namespace also warns and audits on restricted. */
export type PodSecurityLevel = "baseline" | "restricted";

/**
 * A namespace that enforces `enforce` and warns and audits on `restricted`. The resource name and options
 * (parent, aliases) are the caller's: they make its URN, and a changed URN would replace the namespace,
 * deleting everything in it.
 */
export function componentNamespace(
  resourceName: string,
  name: string,
  enforce: PodSecurityLevel,
  opts: pulumi.CustomResourceOptions,
): k8s.core.v1.Namespace {
  const labels = {
    "pod-security.kubernetes.io/enforce": enforce,
    "pod-security.kubernetes.io/warn": "restricted",
    "pod-security.kubernetes.io/audit": "restricted",
  };
  return new k8s.core.v1.Namespace(resourceName, { metadata: { name, labels } }, opts);
}
