// Legal holds, retention and erasure: thin adapters over the accountability services, which check the
// actor's role and collection, refuse held items (423) and write the audit events.
import type { FastifyInstance } from 'fastify';
import { usageError } from '../../errors.ts';
import type { HoldTarget } from '../../services/governance/holds.ts';
import { actorOf, type HttpCtx } from '../context.ts';
import { arr, bool, errors, idParams, int, obj, str } from '../schemas.ts';

const Hold = obj({
  id: int, kind: str, target: str, reason: str, setBy: str, setAt: str,
  releasedBy: { type: ['string', 'null'] }, releasedAt: { type: ['string', 'null'] }, releaseReason: { type: ['string', 'null'] },
}, ['id', 'kind', 'target', 'reason']);
const HoldBody = obj({ asset: { type: 'string', maxLength: 100 }, collection: { type: 'string', maxLength: 200 }, reason: { type: 'string', minLength: 1, maxLength: 2000 } }, ['reason']);
const target = (b: { asset?: string; collection?: string }): HoldTarget => {
  if (!!b.asset === !!b.collection) throw usageError('give exactly one of "asset" or "collection"');
  return b.asset ? { asset: b.asset } : { collection: b.collection! };
};

export function registerGovernanceRoutes(app: FastifyInstance, { c }: HttpCtx): void {
  const g = c.governance;

  app.get('/holds', {
    schema: { summary: 'Legal holds (active and released)', tags: ['governance'], response: { 200: obj({ holds: arr(Hold) }, ['holds']), ...errors(401, 403) } },
  }, async (req) => ({ holds: await g.holds.list(actorOf(req)) }));

  app.post('/holds', {
    schema: { summary: 'Put an asset or a collection on legal hold (as `vitrine hold set`)', tags: ['governance'], body: HoldBody, response: { 201: Hold, ...errors(400, 401, 403, 404, 409) } },
  }, async (req, reply) => {
    const b = req.body as { asset?: string; collection?: string; reason: string };
    return reply.code(201).send(await g.holds.set(target(b), b.reason, actorOf(req)));
  });

  app.post('/holds/release', {
    schema: { summary: 'Release the legal hold on an asset or a collection (as `vitrine hold release`)', tags: ['governance'], body: HoldBody, response: { 200: obj({ released: arr(Hold) }, ['released']), ...errors(400, 401, 403, 404) } },
  }, async (req) => {
    const b = req.body as { asset?: string; collection?: string; reason: string };
    return { released: await g.holds.release(target(b), b.reason, actorOf(req)) };
  });

  app.put('/retention/:collection', {
    schema: {
      summary: 'Set how long a collection keeps its assets (as `vitrine retention set`): 0d, 30d, 6m, 7y', tags: ['governance'],
      params: obj({ collection: { type: 'string', minLength: 1, maxLength: 200 } }, ['collection']),
      body: obj({ duration: { type: 'string', pattern: '^\\d{1,5}[dwmy]$' } }, ['duration']),
      response: { 200: obj({ collection: str, retention: { type: ['string', 'null'] } }, ['collection', 'retention']), ...errors(400, 401, 403, 404) },
    },
  }, async (req) => g.retention.set((req.params as { collection: string }).collection, (req.body as { duration: string }).duration, actorOf(req)));

  app.post('/retention/apply', {
    schema: { summary: 'Erase what is past its collection\'s retention, except held items (as `vitrine retention apply`)', tags: ['governance'], response: { 200: obj({ erased: arr(str), held: arr(str) }, ['erased', 'held']), ...errors(401, 403) } },
  }, async (req) => g.retention.apply(actorOf(req)));

  app.post('/assets/:id/erase', {
    schema: {
      summary: 'Erase an asset and everything derived from it (as `vitrine erase`); refused (423) while held', tags: ['governance'],
      params: idParams, body: obj({ reason: { type: 'string', minLength: 1, maxLength: 2000 } }, ['reason']),
      response: { 200: obj({ erased: arr(str), blobRemoved: bool }, ['erased', 'blobRemoved']), ...errors(400, 401, 403, 404, 423) },
    },
  }, async (req) => g.erase.erase((req.params as { id: string }).id, (req.body as { reason: string }).reason, actorOf(req), { via: 'api' }));
}
