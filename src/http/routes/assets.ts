// Assets: list, show, original bytes (HTTP Range, served as an untrusted attachment), thumbnail and other
// derived files, captions, and raw-body upload streamed into the blob store.
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, join, normalize, sep } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Container } from '../../container.ts';
import { toVtt, type CaptionSegment } from '../../engines/captions.ts';
import { AppError, notFound, usageError } from '../../errors.ts';
import type { AssetRow } from '../../repositories/assets.ts';
import { TYPES } from '../../services/search.ts';
import type { Action } from '../../services/access.ts';
import type { Actor } from '../../services/audit.ts';
import { actorOf, purposeOf, untrustedHeaders, type HttpCtx } from '../context.ts';
import { arr, Asset, errors, idParams, IngestResult, int, obj, purposeQuery, ShowResult, str } from '../schemas.ts';

/** The asset, if this actor may `action` it in its collection with this purpose (refusals are audited). */
export async function readable(c: Container, id: string, actor: Actor, purpose: string | null, action: Action = 'show'): Promise<AssetRow> {
  const a = await c.repos.assets.get(id);
  if (!a) throw notFound(`asset ${id}`);
  await c.access.check(actor, action, a.collection, purpose, a.id);
  return a;
}

/** Media the browser may play inline (video seeking); everything else is opaque bytes. */
function servedType(a: AssetRow): string {
  if (/^(image\/(jpeg|png|gif|webp|avif)|video\/(mp4|webm|ogg|quicktime)|audio\/(mpeg|ogg|wav|x-wav|webm|mp4|flac|aac))$/.test(a.mime)) return a.mime;
  return 'application/octet-stream';
}

function parseRange(h: string | undefined, size: number): { start: number; end: number } | null | 'bad' {
  if (!h) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(h.trim());
  if (!m || (!m[1] && !m[2])) return 'bad';
  let start: number;
  let end: number;
  if (!m[1]) {
    const n = Number(m[2]);
    start = Math.max(0, size - n);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] ? Math.min(Number(m[2]), size - 1) : size - 1;
  }
  if (start >= size || end < start) return 'bad';
  return { start, end };
}

async function sendDerivedFile(c: Container, reply: FastifyReply, rel: string): Promise<FastifyReply> {
  const root = join(c.config.dataDir, 'derived') + sep;
  const file = normalize(join(root, rel));
  if (!file.startsWith(root)) throw notFound('derived file');
  const st = await stat(file).catch(() => null);
  if (!st?.isFile()) throw notFound('derived file');
  const ext = file.slice(file.lastIndexOf('.') + 1).toLowerCase();
  const type = ({ webp: 'image/webp', jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png' } as Record<string, string>)[ext] ?? 'application/octet-stream';
  reply.header('X-Content-Type-Options', 'nosniff').header('Content-Security-Policy', "default-src 'none'; sandbox")
    .header('Cache-Control', 'private, max-age=3600').header('Content-Length', st.size);
  return reply.type(type).send(createReadStream(file));
}

export function registerAssetRoutes(app: FastifyInstance, { c }: HttpCtx): void {
  app.get('/assets', {
    schema: {
      summary: 'List assets, newest first, in the collections you may read',
      tags: ['assets'],
      querystring: obj({ collection: str, type: { type: 'string', enum: [...TYPES] }, limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 }, offset: { type: 'integer', minimum: 0, default: 0 }, ...purposeQuery }),
      response: { 200: obj({ assets: arr(Asset) }, ['assets']), ...errors(400, 401, 403) },
    },
  }, async (req) => {
    const q = req.query as { collection?: string; type?: string; limit: number; offset: number };
    const actor = actorOf(req);
    const cols = await c.access.readableCollections(actor, 'show', q.collection ?? null, purposeOf(req), '');
    const base = { ...(q.type ? { type: q.type } : {}), limit: q.limit + q.offset };
    let rows: AssetRow[];
    if (cols === null) rows = await c.repos.assets.list({ ...base, limit: q.limit, offset: q.offset });
    else {
      const all = (await Promise.all(cols.map((col) => c.repos.assets.list({ ...base, collection: col })))).flat();
      rows = all.sort((x, y) => (x.ingestedAt < y.ingestedAt ? 1 : x.ingestedAt > y.ingestedAt ? -1 : x.id.localeCompare(y.id))).slice(q.offset, q.offset + q.limit);
    }
    return { assets: rows };
  });

  app.get('/assets/:id', {
    schema: { summary: 'Everything known about one asset (as `vitrine show`)', tags: ['assets'], params: idParams, querystring: obj({ ...purposeQuery }), response: { 200: ShowResult, ...errors(401, 403, 404) } },
  }, async (req) => {
    const { id } = req.params as { id: string };
    const r = await c.view.show(id, actorOf(req), purposeOf(req));
    return { ...r, derived: r.derived.map((d, n) => ({ ...d, url: `/api/v1/assets/${encodeURIComponent(id)}/derived/${n}` })) };
  });

  app.get('/assets/:id/original', {
    schema: {
      summary: 'The original bytes (HTTP Range supported), always as an attachment', tags: ['assets'], params: idParams,
      querystring: obj({ ...purposeQuery }), produces: ['application/octet-stream'], response: { ...errors(401, 403, 404, 416) },
    },
  }, async (req, reply) => {
    const { id } = req.params as { id: string };
    const actor = actorOf(req);
    const purpose = purposeOf(req);
    const a = await readable(c, id, actor, purpose);
    const info = await c.blobs.stat(a.sha256);
    if (!info) throw new AppError('E_BLOB_MISSING', `the content of ${id} is missing from the store; run "vitrine fsck"`, 'not_found');
    const range = parseRange(req.headers.range, info.size);
    untrustedHeaders(reply, a.name);
    reply.header('Accept-Ranges', 'bytes').header('Cache-Control', 'private, no-store').type(servedType(a));
    if (range === 'bad') {
      reply.header('Content-Range', `bytes */${info.size}`);
      throw new AppError('E_RANGE', `range not satisfiable; the file has ${info.size} bytes`, 'usage', { httpStatus: 416 });
    }
    // A video player asks for many ranges: one audit event per viewing (the request from byte 0), not per range.
    if (!range || range.start === 0)
      await c.audit.record({ actor: actor.name, action: 'show', target: a.id, purpose, outcome: 'ok', detail: { collection: a.collection, file: 'original' } });
    if (req.method === 'HEAD') return reply.header('Content-Length', info.size).send();
    if (range) {
      reply.code(206).header('Content-Range', `bytes ${range.start}-${range.end}/${info.size}`).header('Content-Length', range.end - range.start + 1);
      return reply.send(await c.blobs.get(a.sha256, { start: range.start, end: range.end }));
    }
    reply.header('Content-Length', info.size);
    return reply.send(await c.blobs.get(a.sha256));
  });

  app.get('/assets/:id/thumbnail', {
    schema: { summary: 'Thumbnail (WebP)', tags: ['assets'], params: idParams, querystring: obj({ ...purposeQuery }), produces: ['image/webp'], response: { ...errors(401, 403, 404) } },
  }, async (req, reply) => {
    const a = await readable(c, (req.params as { id: string }).id, actorOf(req), purposeOf(req));
    const d = (await c.repos.derived.forSha(a.sha256)).find((x) => x.kind === 'thumbnail');
    if (!d) throw notFound(`thumbnail of ${a.id}`);
    return sendDerivedFile(c, reply, d.path);
  });

  app.get('/assets/:id/derived/:n', {
    schema: {
      summary: 'A derived file (keyframe, page image, …) by its index in the asset\'s `derived` list', tags: ['assets'],
      params: obj({ id: str, n: { type: 'integer', minimum: 0 } }, ['id', 'n']), querystring: obj({ ...purposeQuery }),
      produces: ['image/jpeg'], response: { ...errors(401, 403, 404) },
    },
  }, async (req, reply) => {
    const { id, n } = req.params as { id: string; n: number };
    const a = await readable(c, id, actorOf(req), purposeOf(req));
    const d = (await c.repos.derived.forSha(a.sha256))[n];
    if (!d) throw notFound(`derived file ${n} of ${a.id}`);
    return sendDerivedFile(c, reply, d.path);
  });

  app.get('/assets/:id/captions.vtt', {
    schema: {
      summary: 'WebVTT captions from the transcript, or from its translation with lang', tags: ['assets'], params: idParams,
      querystring: obj({ lang: { type: 'string', pattern: '^[a-z]{2}$' }, ...purposeQuery }), produces: ['text/vtt'], response: { ...errors(401, 403, 404) },
    },
  }, async (req, reply) => {
    const a = await readable(c, (req.params as { id: string }).id, actorOf(req), purposeOf(req));
    const lang = (req.query as { lang?: string }).lang;
    const r = await c.repos.analyses.results(a.sha256, ['transcript', 'translation']);
    const tr = r.transcript as { language?: string; segments?: CaptionSegment[] } | undefined;
    const tl = r.translation as { to?: string; segments?: CaptionSegment[] } | undefined;
    let segs: CaptionSegment[] | undefined;
    if (!lang || lang === tr?.language) segs = tr?.segments;
    else if (tl?.to === lang) segs = tl.segments;
    if (!segs?.length) throw notFound(lang ? `captions in "${lang}" for ${a.id}` : `a transcript of ${a.id}`);
    await c.audit.record({ actor: actorOf(req).name, action: 'show', target: a.id, purpose: purposeOf(req), outcome: 'ok', detail: { collection: a.collection, file: 'captions', lang: lang ?? tr?.language ?? null } });
    return reply.type('text/vtt; charset=utf-8').send(toVtt(segs));
  });

  app.get('/assets/:id/similar', {
    schema: {
      summary: 'Near-duplicate images and frames by perceptual hash (as `vitrine similar`), nearest first', tags: ['assets'], params: idParams,
      querystring: obj({ maxDistance: { type: 'integer', minimum: 0, maximum: 32, default: 10 }, limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 }, ...purposeQuery }),
      response: { 200: obj({ assetId: str, similar: arr(obj({ assetId: str, path: str, distance: int }, ['assetId', 'path', 'distance'])) }, ['assetId', 'similar']), ...errors(400, 401, 403, 404) },
    },
  }, async (req) => {
    const q = req.query as { maxDistance: number; limit: number };
    return c.similar.similar((req.params as { id: string }).id, actorOf(req), { maxDistance: q.maxDistance, limit: q.limit, purpose: purposeOf(req) });
  });

  app.post('/assets/:id/export', {
    schema: {
      summary: 'A copy of the asset, redacted if asked, or its captions (as `vitrine export`); the response is the file', tags: ['assets'], params: idParams,
      querystring: obj({ ...purposeQuery }),
      body: obj({
        redact: { type: ['string', 'null'], enum: ['faces', 'pii', 'all', null] },
        boxes: { type: 'array', maxItems: 10_000, items: { type: 'object' } },
        captions: { type: ['string', 'null'], enum: ['vtt', 'srt', null] },
        lang: { type: ['string', 'null'], pattern: '^[a-z]{2}$' },
        purpose: { type: ['string', 'null'], maxLength: 200 },
      }),
      produces: ['application/octet-stream'], response: { ...errors(400, 401, 403, 404, 422) },
    },
  }, async (req, reply) => {
    const { id } = req.params as { id: string };
    const b = (req.body ?? {}) as { redact?: 'faces' | 'pii' | 'all' | null; boxes?: unknown; captions?: 'vtt' | 'srt' | null; lang?: string | null; purpose?: string | null };
    const actor = actorOf(req);
    const a = await c.repos.assets.get(id);
    if (!a) throw notFound(`asset ${id}`);
    // The export service writes a file outside the data directory; we stream it back and remove it.
    const dir = await mkdtemp(join(tmpdir(), 'vitrine-export-'));
    const ext = extname(a.name).toLowerCase();
    const outExt = b.captions ? `.${b.captions}`
      : (b.redact || b.boxes) && ['document', 'email', 'other'].includes(a.type) ? '.txt'
      : a.type === 'video' && (b.redact || b.boxes) && !['.mp4', '.m4v', '.mov', '.mkv'].includes(ext) ? '.mp4' : ext || '.bin';
    const stem = (a.name.slice(0, a.name.length - ext.length) || 'export').replace(/[^\w.\- ]+/g, '_').slice(0, 100);
    const out = join(dir, `${stem}${b.redact || b.boxes ? '.redacted' : ''}${outExt}`);
    try {
      const r = await c.exporter.export(id, actor, { out, redact: b.redact ?? null, ...(b.boxes ? { boxes: b.boxes } : {}), captions: b.captions ?? null, lang: b.lang ?? null, purpose: b.purpose ?? purposeOf(req) });
      untrustedHeaders(reply, out.slice(dir.length + 1));
      reply.header('Content-Length', r.bytes).header('X-Vitrine-Redacted', JSON.stringify(r.redacted)).type(b.captions === 'vtt' ? 'text/vtt' : 'application/octet-stream');
      const stream = createReadStream(r.out);
      stream.on('close', () => void rm(dir, { recursive: true, force: true }));
      return reply.send(stream);
    } catch (e) {
      await rm(dir, { recursive: true, force: true });
      throw e;
    }
  });

  // Raw upload: the body is never parsed or buffered, it streams into the blob store.
  app.register(async (raw) => {
    raw.removeAllContentTypeParsers();
    raw.addContentTypeParser('*', (_req, _payload, done) => done(null));
    raw.post('/assets', {
      schema: {
        summary: 'Upload one file as the raw request body (streamed); it is ingested like CLI input', tags: ['assets'],
        querystring: obj({ collection: { type: 'string', minLength: 1, maxLength: 200, default: 'default' }, name: { type: 'string', minLength: 1, maxLength: 500 }, ...purposeQuery }, ['name']),
        consumes: ['application/octet-stream'], response: { 201: IngestResult, ...errors(400, 401, 403, 413) },
      },
    }, async (req: FastifyRequest, reply: FastifyReply) => {
      const q = req.query as { collection: string; name: string };
      const actor = actorOf(req);
      const purpose = purposeOf(req);
      await c.access.check(actor, 'ingest', q.collection, purpose, null);
      const len = Number(req.headers['content-length'] ?? NaN);
      if (len > c.config.maxFileBytes) throw new AppError('E_TOO_LARGE', `the file is larger than the limit of ${c.config.maxFileBytes} bytes`, 'failure', { httpStatus: 413 });
      if (len === 0) throw usageError('the request body is empty; send the file as the body');
      const res = await c.ingest.ingestStream(req.raw, { name: q.name, collection: q.collection, actor, purpose });
      return reply.code(201).send({ ...res, failed: res.failed.map(({ path, error }) => ({ path, error })) });
    });
  });
  void int;
}
