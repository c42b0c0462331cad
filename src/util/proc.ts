// Run an external converter as a child process: no shell, arguments as an array (paths are never
// interpolated into a command line), a wall-clock timeout and an address-space limit via prlimit.
import { spawn } from 'node:child_process';
import { PermanentError, TransientError } from '../errors.ts';

export interface RunOptions {
  timeoutMs?: number;
  /** Address-space limit in bytes (prlimit --as). */
  memoryBytes?: number;
  input?: Buffer | string;
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Cap on captured stdout; beyond it the process is killed. */
  maxStdoutBytes?: number;
  /** Exit codes that count as success. */
  okCodes?: number[];
}

export interface RunResult {
  code: number;
  stdout: Buffer;
  stderr: string;
  ms: number;
}

const DEFAULT_TIMEOUT = 10 * 60_000;
const DEFAULT_MEMORY = 2 * 1024 ** 3;
/** What tools (ld.so, poppler, C++ runtime, Python, glibc) print when the address-space limit stops them. */
const OUT_OF_MEMORY = /failed to map segment from shared object|Out of memory|std::bad_alloc|MemoryError|Cannot allocate memory/;

export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT;
  const mem = opts.memoryBytes ?? DEFAULT_MEMORY;
  const maxOut = opts.maxStdoutBytes ?? 256 * 1024 * 1024;
  const started = Date.now();
  const argv = ['--as=' + mem, '--', cmd, ...args];
  return new Promise((resolve, reject) => {
    const child = spawn('prlimit', argv, {
      shell: false,
      cwd: opts.cwd,
      env: { ...process.env, OMP_THREAD_LIMIT: '1', ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    let outBytes = 0;
    let err = '';
    let killedFor: string | null = null;
    const timer = setTimeout(() => {
      killedFor = `timed out after ${Math.round(timeoutMs / 1000)} s`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (d: Buffer) => {
      outBytes += d.length;
      if (outBytes > maxOut) {
        killedFor = `produced more than ${maxOut} bytes of output`;
        child.kill('SIGKILL');
        return;
      }
      out.push(d);
    });
    child.stderr.on('data', (d: Buffer) => {
      if (err.length < 64 * 1024) err += d.toString('utf8');
    });
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (e.code === 'ENOENT') reject(new PermanentError('E_TOOL_MISSING', `${cmd} is not installed; run "make setup"`));
      else reject(new TransientError('E_TOOL', `${cmd} could not start: ${e.message}`));
    });
    child.stdin.on('error', () => {});
    if (opts.input !== undefined) child.stdin.end(opts.input);
    else child.stdin.end();
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const ms = Date.now() - started;
      const res: RunResult = { code: code ?? -1, stdout: Buffer.concat(out), stderr: err, ms };
      if (killedFor) return reject(new PermanentError('E_TOOL_LIMIT', `${cmd} ${killedFor}`));
      const ok = opts.okCodes ?? [0];
      if (code === null || !ok.includes(code)) {
        const tail = err.trim().split('\n').slice(-3).join(' | ').slice(0, 500);
        const why = signal ? `killed by ${signal}` : `exit code ${code}`;
        // Checked before the exit-127 rule: a loader that cannot map a library under the limit also exits 127.
        if (OUT_OF_MEMORY.test(err))
          return reject(new PermanentError('E_TOOL_LIMIT', `${cmd} ran out of its memory limit (${Math.round(mem / 1024 ** 2)} MiB): ${tail}`));
        if (code === 127 || /No such file or directory/.test(err) && /prlimit/.test(err))
          return reject(new PermanentError('E_TOOL_MISSING', `${cmd} is not installed; run "make setup"`));
        return reject(new PermanentError('E_TOOL_FAILED', `${cmd} failed (${why}): ${tail}`));
      }
      resolve(res);
    });
  });
}

/** True when the program is on PATH. */
export async function hasTool(cmd: string): Promise<boolean> {
  try {
    await run('sh', ['-c', 'command -v "$0"', cmd], { timeoutMs: 5000 });
    return true;
  } catch {
    return false;
  }
}
