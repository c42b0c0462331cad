// A real server for the HTTP tests: a container on a temp data directory, the Fastify app listening on
// 127.0.0.1 at a random port, in-process workers, and small fetch helpers.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config.ts';
import { createContainer, type Container } from '../src/container.ts';
import { buildApp, type AppOptions } from '../src/http/app.ts';

export interface Server {
  c: Container;
  url: string;
  dir: string;
  app: Awaited<ReturnType<typeof buildApp>>;
  /** Token of a user created with c.governance.users.add. */
  user(name: string, role: string, collection?: string | null): Promise<string>;
  api(path: string, o?: { token?: string; method?: string; body?: unknown; raw?: BodyInit; headers?: Record<string, string> }): Promise<Response>;
  /** Waits until nothing is queued or running. */
  idle(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startServer(o: { workers?: boolean; app?: AppOptions; env?: Record<string, unknown> } = {}): Promise<Server> {
  const dir = await mkdtemp(join(tmpdir(), 'vitrine-http-'));
  const c = await createContainer(loadConfig({ dataDir: dir, concurrency: 2, logLevel: 'silent', ...(o.env ?? {}) }));
  if (o.workers !== false) await c.workers.start({ concurrency: 2, heavyConcurrency: 1, pollingSeconds: 0.5 });
  const app = await buildApp(c, o.app ?? {});
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const s: Server = {
    c, url, dir, app,
    async user(name, role, collection = null) {
      return (await c.governance.users.add(name, role, collection, c.localActor)).token;
    },
    api(path, a = {}) {
      const headers: Record<string, string> = { ...(a.headers ?? {}) };
      if (a.token) headers.authorization = `Bearer ${a.token}`;
      let body: BodyInit | undefined = a.raw;
      if (a.body !== undefined) {
        headers['content-type'] = 'application/json';
        body = JSON.stringify(a.body);
      }
      return fetch(url + path, { method: a.method ?? (body !== undefined ? 'POST' : 'GET'), headers, ...(body !== undefined ? { body } : {}), redirect: 'manual' });
    },
    async idle(timeoutMs = 60_000) {
      const t0 = Date.now();
      let quiet = 0;
      while (Date.now() - t0 < timeoutMs) {
        const pending = await c.repos.analyses.pendingCount();
        if (pending === 0 && c.workers.active === 0) {
          if (++quiet >= 2) return;
        } else quiet = 0;
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error('analysis did not finish in time');
    },
    async close() {
      await app.close();
      if (o.workers !== false) await c.workers.stop();
      await c.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return s;
}
