import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { AdminAccess } from "./cluster";
import { FluxSettings } from "./config";

export interface FluxArgs {
  /** How the CLI reaches the cluster: a kubeconfig (secret) or the file holding one; never through argv. */
  readonly admin: AdminAccess;
  /** Install mode, version and GitHub settings. */
  readonly settings: FluxSettings;
}

// Every script runs with the kubeconfig in a private temp file removed on exit (copied from the file the
// cluster's credential is written to, or from the environment), and refuses a flux CLI of another version:
// `flux install --version` alone would mix CLI and controller versions.
const prelude = (admin: AdminAccess) => `set -euo pipefail
umask 077
KUBECONFIG="$(mktemp)"; export KUBECONFIG
trap 'rm -f "$KUBECONFIG"' EXIT
${"kubeconfigFile" in admin ? 'cat "$KUBECONFIG_FILE" > "$KUBECONFIG"' : `printf '%s' "$KUBECONFIG_DATA" > "$KUBECONFIG"`}
if [[ "$(flux --version)" != "flux version $FLUX_VERSION" ]]; then
  echo "flux CLI $FLUX_VERSION is required (found: $(flux --version)); see README prerequisites" >&2
  exit 1
fi
`;

/**
 * Flux controllers on the cluster, installed by the flux CLI: `flux install` for a cluster Pulumi alone
 * drives, or `flux bootstrap github` so Flux also syncs a Git repository. Done only once
 * `flux check` sees every controller ready, so the Flux objects that depend on it can be reconciled.
 */
export class Flux extends pulumi.ComponentResource {
  /** Namespace the controllers and Flux sources live in. */
  public readonly namespace: string = "flux-system";
  /** The command; depend on it to run after Flux is ready. */
  public readonly ready: command.local.Command;

  constructor(name: string, args: FluxArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kafka-on-k8s:flux:Flux", name, {}, opts);
    const { settings } = args;
    const github = settings.github;

    const install = github
      ? 'flux bootstrap github --owner="$GITHUB_OWNER" --repository="$GITHUB_REPOSITORY" ' +
        '--branch="$GITHUB_BRANCH" --path="$GITHUB_PATH" --personal="$GITHUB_PERSONAL" --version="v$FLUX_VERSION"'
      : 'flux install --version="v$FLUX_VERSION"';

    this.ready = new command.local.Command(
      `${name}-install`,
      {
        interpreter: ["/bin/bash", "-c"],
        create: `${prelude(args.admin)}${install}\nflux check --timeout=5m`,
        // A cluster deleted outside Pulumi has nothing left to uninstall and must not block destroy;
        // \`flux check --pre\` tells an unreachable API server from a failed uninstall.
        delete: `${prelude(args.admin)}flux uninstall --silent && exit 0
if flux check --pre >/dev/null 2>&1; then exit 1; fi
echo "the cluster's API server does not answer: nothing left to uninstall" >&2`,
        environment: {
          // A file's path, not its contents, where the cluster hands out short-lived credentials: the
          // environment then stays the same when the credential changes (a change re-runs the script).
          ...("kubeconfigFile" in args.admin ? { KUBECONFIG_FILE: args.admin.kubeconfigFile } : { KUBECONFIG_DATA: args.admin.kubeconfig }),
          FLUX_VERSION: settings.version,
          ...(github
            ? {
                // flux bootstrap reads the token from GITHUB_TOKEN.
                GITHUB_TOKEN: github.token,
                GITHUB_OWNER: github.owner,
                GITHUB_REPOSITORY: github.repository,
                GITHUB_BRANCH: github.branch,
                GITHUB_PATH: github.path,
                GITHUB_PERSONAL: String(github.personal),
              }
            : {}),
        },
      },
      {
        parent: this,
        // A new version, mode, repository or cluster changes the script or its environment, which re-runs
        // it in place (`flux install` and `flux bootstrap` upgrade what is there). No triggers: a trigger
        // replaces the command, and Pulumi replaces create-first, so the old command's `flux uninstall`
        // would run last, on the Flux just upgraded. Stacks made before this hold triggers in their state;
        // ignoring them keeps those stacks from that replacement too.
        ignoreChanges: ["triggers"],
      },
    );

    this.registerOutputs({ namespace: this.namespace });
  }
}
