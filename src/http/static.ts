// The web UI's built files (web/dist). Unknown paths outside /api get index.html (client-side routes).
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import type { FastifyInstance } from 'fastify';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon', '.json': 'application/json', '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8', '.map': 'application/json',
};

/** The app's own pages: scripts and styles from our origin only; media from our API. */
export const APP_CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
  "media-src 'self' blob:; connect-src 'self'; object-src 'none'; frame-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

export function registerStatic(app: FastifyInstance, webDir: string): void {
  const root = normalize(webDir) + sep;
  app.setNotFoundHandler(async (req, reply) => {
    if (req.url.startsWith('/api/') || (req.method !== 'GET' && req.method !== 'HEAD'))
      return reply.code(404).send({ error: { code: 'E_NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0]}` } });
    const path = decodeURIComponent(req.url.split('?')[0]!);
    let file = normalize(join(root, path));
    if (!file.startsWith(root)) file = join(root, 'index.html');
    let st = await stat(file).catch(() => null);
    if (!st?.isFile()) {
      file = join(root, 'index.html');
      st = await stat(file).catch(() => null);
    }
    reply.header('Content-Security-Policy', APP_CSP);
    reply.header('X-Frame-Options', 'DENY');
    if (!st) {
      return reply.type('text/html; charset=utf-8').send('<!doctype html><title>Vitrine</title><p>The web UI is not built: run <code>make setup</code>. ' +
        'The API is at <a href="/api/v1/docs">/api/v1/docs</a>.</p>');
    }
    const immutable = file.includes(`${sep}assets${sep}`);
    reply.header('Cache-Control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    reply.type(TYPES[extname(file)] ?? 'application/octet-stream').header('Content-Length', st.size);
    return reply.send(req.method === 'HEAD' ? '' : createReadStream(file));
  });
}
