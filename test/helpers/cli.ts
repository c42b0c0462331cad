// Runs the real CLI (bin/vitrine.js) as a child process on Node 22, the way users and scripts do, and
// collects exit code, stdout, stderr and — when stdout is one JSON document — the parsed value.
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = join(REPO, 'bin', 'vitrine.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout parsed as one JSON document, or undefined when it is not exactly that. */
  json: any;
}

export interface CliOptions {
  /** Data directory (passed as --data); omit to let the command decide (env or default). */
  data?: string;
  env?: Record<string, string | undefined>;
  /** Written to the child's stdin, which is then closed. */
  input?: string;
  cwd?: string;
  timeoutMs?: number;
  /** Run as this user/group (root only): how permission errors are tested when the suite runs as root. */
  uid?: number;
  gid?: number;
}

/** Environment for a child: no inherited VITRINE_* settings (a developer's shell must not change a test). */
export function childEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('VITRINE_') && !k.startsWith('NODE_TEST')) env[k] = v;
  env.PATH = `${join(REPO, 'node_modules', '.bin')}:${process.env.PATH ?? ''}`;
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

export function cliArgs(args: string[], data?: string): string[] {
  return [BIN, ...args, ...(data !== undefined ? ['--data', data] : [])];
}

/** Starts the CLI without waiting (for kill -9 tests). stdout/stderr are piped. */
export function spawnCli(args: string[], o: CliOptions = {}): ChildProcess {
  return spawn(process.execPath, cliArgs(args, o.data), {
    cwd: o.cwd ?? REPO, env: childEnv(o.env), stdio: ['pipe', 'pipe', 'pipe'],
    ...(o.uid !== undefined ? { uid: o.uid } : {}), ...(o.gid !== undefined ? { gid: o.gid } : {}),
  });
}

export function runCli(args: string[], o: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawnCli(args, o);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (b: Buffer) => out.push(b));
    child.stderr!.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 180_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out).toString('utf8');
      let json: unknown;
      try {
        json = stdout.trim() ? JSON.parse(stdout) : undefined;
      } catch {
        json = undefined;
      }
      resolve({ code, signal, stdout, stderr: Buffer.concat(err).toString('utf8'), json });
    });
    child.stdin!.on('error', () => {}); // the child may exit before reading stdin
    child.stdin!.end(o.input ?? '');
  });
}

/** A readable summary for assertion messages. */
export function describe(r: CliResult): string {
  return `exit ${r.code}${r.signal ? ` (${r.signal})` : ''}\n--- stdout ---\n${r.stdout.slice(0, 3000)}\n--- stderr ---\n${r.stderr.slice(0, 3000)}`;
}
