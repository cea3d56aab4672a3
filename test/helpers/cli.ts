// Runs the built CLI (dist/stickyban.cjs) as a real process, optionally inside a network namespace.

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The bundle under test; STICKYBAN_CLI points elsewhere (a second build beside this one). */
export const CLI = process.env.STICKYBAN_CLI ?? fileURLToPath(new URL('../../dist/stickyban.cjs', import.meta.url));

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliOptions {
  /** Run inside this network namespace (ip netns exec). */
  readonly netns?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly input?: string;
}

/** The command line that runs the CLI, inside a namespace if asked. */
export function cliCommand(args: readonly string[], netns?: string): [string, string[]] {
  const base = [process.execPath, CLI, ...args];
  return netns ? ['ip', ['netns', 'exec', netns, ...base]] : [base[0]!, base.slice(1)];
}

export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  const [file, argv] = cliCommand(args, options.netns);
  return runProcess(file, argv, options);
}

export function runProcess(file: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      env: { ...process.env, SSH_CONNECTION: '', SSH_CLIENT: '', ...options.env },
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    if (options.input !== undefined) child.stdin!.end(options.input);
  });
}

/** Runs a command and throws with its stderr if it fails: for test setup steps. */
export async function sh(file: string, args: readonly string[], options: { input?: string } = {}): Promise<string> {
  const result = await runProcess(file, args, options);
  if (result.code !== 0) throw new Error(`${file} ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
  return result.stdout;
}
