// Resumable uploads (tus 1.0, @tus/server with the file store in DATA/uploads). Upload-Metadata keys:
// filename (required), collection (default "default"), purpose. The creator is recorded in the
// upload's metadata; only they can resume or cancel it. A finished upload is streamed into the blob
// store and ingested like CLI input; the final PATCH answers with the ingest result.
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Server, type ServerOptions } from '@tus/server';
import { FileStore } from '@tus/file-store';
import { AppError, toAppError } from '../../errors.ts';
import type { Actor } from '../../services/audit.ts';
import { actorOf, purposeOf, type HttpCtx } from '../context.ts';
import { errors, obj, str } from '../schemas.ts';

type TusReq = Parameters<NonNullable<ServerOptions['onUploadCreate']>>[0];

const fail = (status: number, code: string, message: string) => ({ status_code: status, body: JSON.stringify({ error: { code, message } }) });

export function registerUploadRoutes(app: FastifyInstance, { c }: HttpCtx): void {
  const dir = join(c.config.dataDir, 'uploads');
  const callers = new WeakMap<IncomingMessage, { actor: Actor; purpose: string | null }>();
  const who = (req: TusReq) => {
    const raw = (req as unknown as { runtime?: { node?: { req: IncomingMessage } } }).runtime?.node?.req;
    const w = raw && callers.get(raw);
    if (!w) throw fail(401, 'E_UNAUTHORIZED', 'not logged in');
    return w;
  };
  const store = new FileStore({ directory: dir, expirationPeriodInMilliseconds: 24 * 3600_000 });
  const tus = new Server({
    path: '/api/v1/uploads',
    datastore: store,
    relativeLocation: true,
    maxSize: c.config.maxFileBytes,
    respectForwardedHeaders: false,
    async onIncomingRequest(req, id) {
      const { actor } = who(req);
      if (req.method === 'POST' || req.method === 'OPTIONS') return;
      const up = await store.getUpload(id).catch(() => null);
      // Someone else's upload does not exist, as far as this caller can tell.
      if (!up || up.metadata?.owner !== actor.name) throw fail(404, 'E_NOT_FOUND', 'no such upload');
    },
    async onUploadCreate(req, upload) {
      const { actor, purpose } = who(req);
      const md = upload.metadata ?? {};
      if (!md.filename) throw fail(400, 'E_USAGE', 'Upload-Metadata needs "filename"');
      const collection = md.collection || 'default';
      try {
        await c.access.check(actor, 'ingest', collection, md.purpose || purpose, null);
      } catch (e) {
        const err = toAppError(e);
        throw fail(err.httpStatus, err.code, err.message);
      }
      return { metadata: { ...md, collection, owner: actor.name } };
    },
    async onUploadFinish(req, upload) {
      const { actor, purpose } = who(req);
      const md = upload.metadata ?? {};
      const file = join(dir, upload.id);
      try {
        // The finished upload file is moved into the blob store (fs), not written a second time.
        const res = await c.ingest.ingestStream(createReadStream(file, { highWaterMark: 1 << 20 }), {
          name: md.filename ?? 'upload', collection: md.collection || 'default', actor, purpose: md.purpose || purpose, adoptFile: file,
        });
        const out = { ...res, failed: res.failed.map(({ path, error }) => ({ path, error })) };
        return { status_code: 200, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(out) };
      } catch (e) {
        const err = toAppError(e);
        throw fail(err.httpStatus >= 500 ? 500 : err.httpStatus, err.code, err.message);
      } finally {
        // The file is usually gone already (moved into the blob store); its metadata goes either way.
        await rm(file, { force: true });
        await store.configstore.delete(upload.id).catch(() => {});
      }
    },
  });
  // The file store keeps partial uploads for a day; sweep expired ones hourly.
  const sweep = setInterval(() => void tus.cleanUpExpiredUploads().catch(() => {}), 3600_000);
  sweep.unref();
  app.addHook('onClose', async () => clearInterval(sweep));

  const handle = async (req: FastifyRequest, reply: FastifyReply) => {
    const actor = actorOf(req);
    if (req.method === 'PATCH' && req.headers['content-type'] !== 'application/offset+octet-stream')
      throw new AppError('E_UNSUPPORTED_MEDIA_TYPE', 'PATCH needs Content-Type: application/offset+octet-stream', 'usage', { httpStatus: 415 });
    callers.set(req.raw, { actor, purpose: purposeOf(req) });
    reply.hijack();
    await tus.handle(req.raw, reply.raw);
  };
  const options = async (_req: FastifyRequest, reply: FastifyReply) => {
    reply.hijack();
    await tus.handle(_req.raw, reply.raw);
  };

  app.register(async (raw) => {
    raw.removeAllContentTypeParsers();
    raw.addContentTypeParser('*', (_req, _payload, done) => done(null));
    const doc = (summary: string, params = false) => ({
      schema: {
        summary, tags: ['uploads'], ...(params ? { params: obj({ uploadId: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,100}$' } }, ['uploadId']) } : {}),
        response: { ...errors(400, 401, 403, 404, 413) },
      },
    });
    raw.post('/uploads', doc('tus: create an upload (Upload-Length, Upload-Metadata filename/collection/purpose)'), handle);
    raw.options('/uploads', doc('tus: capabilities'), options);
    raw.head('/uploads/:uploadId', doc('tus: current offset of an upload (resume)', true), handle);
    raw.patch('/uploads/:uploadId', doc('tus: append bytes at Upload-Offset; the last PATCH returns the ingest result', true), handle);
    raw.delete('/uploads/:uploadId', doc('tus: cancel an upload', true), handle);
    raw.options('/uploads/:uploadId', doc('tus: capabilities', true), options);
  });
  void str;
}
