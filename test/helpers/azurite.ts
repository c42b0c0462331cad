// Starts azurite's blob service (Microsoft's Azure Storage emulator, from npm) as a child process on a free
// 127.0.0.1 port (--blobPort 0; azurite prints the port it got) with its data in a temp directory.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { killChild, waitForPort } from './s3-server.ts';

// Azurite's well-known development account (public, documented by Microsoft).
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzuriteServer {
  port: number;
  connectionString: string;
  /** The same account with a wrong key, for the credentials test. */
  badConnectionString: string;
  dir: string;
  stop(): Promise<void>;
  cleanup(): Promise<void>;
}

export function connectionString(port: number, key = AZURITE_KEY): string {
  return `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${key};BlobEndpoint=http://127.0.0.1:${port}/${AZURITE_ACCOUNT};`;
}

export async function startAzurite(opts: { port?: number; dir?: string } = {}): Promise<AzuriteServer> {
  const dir = opts.dir ?? (await mkdtemp(join(tmpdir(), 'vitrine-azurite-')));
  const pkg = createRequire(import.meta.url).resolve('azurite/package.json');
  const bin = join(dirname(pkg), 'dist', 'src', 'blob', 'main.js');
  const child = spawn(
    process.execPath,
    [bin, '--blobHost', '127.0.0.1', '--blobPort', String(opts.port ?? 0), '--location', dir,
      // the SDK is newer than the emulator's API version list; telemetry would try to reach the internet
      '--skipApiVersionCheck', '--disableTelemetry'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const port = await waitForPort(child, /successfully listens on http:\/\/127\.0\.0\.1:(\d+)/, 30_000);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    // SIGTERM: azurite saves its metadata database on the way out (SIGKILL would lose recent containers)
    await killChild(child, 'SIGTERM');
  };
  const wrongKey = Buffer.alloc(64, 1).toString('base64');
  return {
    port,
    connectionString: connectionString(port),
    badConnectionString: connectionString(port, wrongKey),
    dir,
    stop,
    cleanup: async () => {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
