// Running a command to its end and keeping what it wrote: the engine stage's pulumi, the API-server stage's
// kubectl, the convergence run's commands and the e2e scripts' tests all need exactly this.
import { spawn } from "child_process";
import { constants } from "os";

/** How a finished command ended and what it wrote. */
export interface Captured {
  /** Exit code; a command killed by a signal gets 128 + its number, as in a shell. */
  readonly code: number;
  /** Standard output. */
  readonly stdout: string;
  /** Standard error. */
  readonly stderr: string;
  /** Wall-clock seconds from start to exit. */
  readonly seconds: number;
}

/** Where and with what a command runs. */
export interface RunOptions {
  /** Working directory (default: this process's). */
  readonly cwd?: string;
  /** The whole environment (default: this process's). */
  readonly env?: NodeJS.ProcessEnv;
  /** Written to its stdin, then closed: the way to hand it a secret, never argv. Unset: an empty stdin. */
  readonly input?: string;
}

/**
 * Runs `command` until it exits and resolves with its exit code and output; a non-zero exit is a result,
 * not an error. Rejects only when the command cannot start (e.g. ENOENT), so callers can say what to install.
 */
export function runCaptured(command: string, args: readonly string[], options: RunOptions = {}): Promise<Captured> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    child.on("error", reject);
    child.on("close", (code, signal) => {
      const exit = code ?? 128 + (signal ? constants.signals[signal] : 0);
      resolve({ code: exit, stdout, stderr, seconds: (Date.now() - started) / 1000 });
    });
    child.stdin.end(options.input);
  });
}
