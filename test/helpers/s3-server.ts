// Starts s3rver (a fake S3 server from npm) as a child process on a free 127.0.0.1 port with its data in a
// temp directory, for the S3 contract and fault tests. A child (not in-process) so that its memory does not
// count in the streaming-put RSS check and so a test can kill it to simulate an unreachable server.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface S3TestServer {
  endpoint: string;
  port: number;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  dir: string;
  /** Kill the server (keeps its data directory). */
  stop(): Promise<void>;
  /** Stop and remove the data directory. */
  cleanup(): Promise<void>;
}

// s3rver's built-in account: it rejects any other access key id (InvalidAccessKeyId) but does not check
// SigV4 signatures, so a wrong secret goes unnoticed (documented in docs/STORAGE.md).
const KEY = 'S3RVER';

export async function startS3Server(opts: { bucket?: string; port?: number; dir?: string } = {}): Promise<S3TestServer> {
  const bucket = opts.bucket ?? 'vitrine-test';
  const dir = opts.dir ?? (await mkdtemp(join(tmpdir(), 'vitrine-s3rver-')));
  const s3rverMain = createRequire(import.meta.url).resolve('s3rver');
  const script = `
    const S3rver = require(${JSON.stringify(s3rverMain)});
    const s = new S3rver({ address: '127.0.0.1', port: ${opts.port ?? 0}, directory: ${JSON.stringify(dir)}, silent: true,
      configureBuckets: [{ name: ${JSON.stringify(bucket)}, configs: [] }] });
    s.run().then((addr) => process.stdout.write(JSON.stringify({ port: addr.port }) + '\\n'),
      (e) => { console.error(e); process.exit(1); });
    process.on('disconnect', () => process.exit(0));
  `;
  // s3rver makes ListObjectsV2 continuation tokens with DES, which OpenSSL 3 only has in its legacy provider.
  const child = spawn(process.execPath, ['--openssl-legacy-provider', '-e', script], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  const port = await waitForPort(child, /"port":(\d+)/, 20_000);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await killChild(child);
  };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    bucket,
    accessKeyId: KEY,
    secretAccessKey: KEY,
    dir,
    stop,
    cleanup: async () => {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Resolve with the first number the regex captures on the child's stdout; reject if it exits first. */
export function waitForPort(child: ChildProcess, re: RegExp, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start within ${timeoutMs} ms: ${err || out}`));
    }, timeoutMs);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = re.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}: ${err || out}`));
    });
  });
}

/** Stop a child with `signal`, SIGKILL if it is still there after 5 s. */
export function killChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill(signal);
  });
}
