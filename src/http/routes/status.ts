// Ingest status per analyser (with failures and an ETA), once (GET /status) or as server-sent events
// (GET /events) pushed whenever it changes. A user limited to one collection sees only its content.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Actor } from '../../services/audit.ts';
import { actorOf, type HttpCtx } from '../context.ts';
import { collectionShas } from '../queries.ts';
import { errors, StatusResult } from '../schemas.ts';
import type { Container } from '../../container.ts';

async function statusFor(c: Container, actor: Actor) {
  const st = await c.view.status(actor.collection ? await collectionShas(c, actor.collection) : undefined);
  return st;
}

export function registerStatusRoutes(app: FastifyInstance, { c }: HttpCtx): void {
  // Open event streams end before the server closes (it would otherwise wait for them forever).
  const open = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const end of open) end();
  });
  app.get('/status', {
    schema: { summary: 'Analysis status per analyser, recent failures, ETA (as `vitrine status`)', tags: ['status'], response: { 200: StatusResult, ...errors(401) } },
  }, async (req) => statusFor(c, actorOf(req)));

  app.get('/events', {
    schema: { summary: 'Server-sent events: `status` (same shape as GET /status) whenever it changes', tags: ['status'], produces: ['text/event-stream'], response: { ...errors(401) } },
  }, async (req: FastifyRequest, reply) => {
    const actor = actorOf(req);
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', Connection: 'keep-alive',
      'X-Content-Type-Options': 'nosniff', 'X-Accel-Buffering': 'no',
    });
    res.write('retry: 3000\n\n');
    let last = '';
    let beat = Date.now();
    let busy = false;
    const tick = async () => {
      if (busy || res.destroyed) return;
      busy = true;
      try {
        const s = JSON.stringify(await statusFor(c, actor));
        if (s !== last) {
          last = s;
          beat = Date.now();
          res.write(`event: status\ndata: ${s}\n\n`);
        } else if (Date.now() - beat > 15_000) {
          beat = Date.now();
          res.write(': keep-alive\n\n');
        }
      } catch {
        // the database is closing; the client reconnects
      } finally {
        busy = false;
      }
    };
    await tick();
    const timer = setInterval(() => void tick(), 1000);
    const end = () => {
      clearInterval(timer);
      open.delete(end);
      if (!res.writableEnded) res.end();
    };
    open.add(end);
    req.raw.on('close', end);
    res.on('close', end);
  });
}
