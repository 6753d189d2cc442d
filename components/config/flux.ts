// How Flux is installed: by its CLI, or bootstrapped from a GitHub repository it then syncs from.
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { pinned } from "./pinned";
import { Problems, Resolved } from "./problems";
import type { ParsedSettings } from "./schema";
import { bool, enumOf, semver } from "./validators";

/** How Flux is installed. */
export type FluxMode = "install" | "bootstrap-github";

/** The Flux installation. */
export interface FluxSettings {
  /** `flux install`, or `flux bootstrap github` to manage Flux from a Git repository. */
  readonly mode: FluxMode;
  /** Flux version the CLI installs (without the leading v). */
  readonly version: string;
  /** GitHub settings, present only for bootstrap-github. */
  readonly github?: {
    /** User or organisation that owns the repository. */
    readonly owner: string;
    /** Repository name, without the owner. */
    readonly repository: string;
    /** Branch Flux commits to and syncs. */
    readonly branch: string;
    /** Directory of the repository Flux syncs. */
    readonly path: string;
    /** The owner is a user, not an organisation. */
    readonly personal: boolean;
    /** Token flux pushes with (resolveSecrets). */
    readonly token: pulumi.Output<string>;
  };
}

/** Flux's settings and their schema. */
export const fluxShape = {
  fluxMode: enumOf(["install", "bootstrap-github"]).default("install"),
  fluxVersion: semver.default(pinned.flux),
  githubOwner: z
    .string()
    .regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,37}[A-Za-z0-9])?$/, {
      error: "must be a GitHub user or organisation name: letters, digits and inner '-', at most 39 characters",
    })
    .optional(),
  githubRepository: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,100}$/, {
      error: "must be a GitHub repository name (letters, digits, '.', '_', '-'), without the owner",
    })
    .optional(),
  githubBranch: z.string().min(1).default("main"),
  githubPath: z.string().min(1).optional(),
  githubPersonal: bool.default(true),
};

/** Flux; `githubToken` is resolveSecrets' token, used only with bootstrap-github. */
export function resolveFlux(parsed: ParsedSettings, githubToken: pulumi.Output<string>): Resolved<FluxSettings> {
  const s = parsed.values;
  const problems = new Problems(parsed);
  let github: FluxSettings["github"];
  if (s.fluxMode === "bootstrap-github") {
    if (!s.githubOwner) problems.refuse("githubOwner", "required for fluxMode=bootstrap-github: the GitHub user or organisation");
    if (!s.githubRepository)
      problems.refuse("githubRepository", "required for fluxMode=bootstrap-github: the repository Flux commits its manifests to");
    github = {
      owner: s.githubOwner ?? "",
      repository: s.githubRepository ?? "",
      branch: s.githubBranch,
      path: s.githubPath ?? `clusters/${parsed.stack}`,
      personal: s.githubPersonal,
      token: githubToken,
    };
  } else {
    problems.refuseGiven(["githubOwner", "githubRepository", "githubPath"], "only applies to fluxMode=bootstrap-github");
  }
  return { settings: { mode: s.fluxMode, version: s.fluxVersion, github }, problems: problems.found };
}
