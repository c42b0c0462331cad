// Administration: collections (policies) and users. Thin adapters: the policy checks and audit events
// are the services' (governance users) or, for collections, the same as `vitrine collection set`.
import type { FastifyInstance } from 'fastify';
import { notFound } from '../../errors.ts';
import { ROLES } from '../../services/access.ts';
import { actorOf, type HttpCtx } from '../context.ts';
import { arr, bool, Collection, errors, obj, str, User } from '../schemas.ts';

const NAME = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$' } as const;

export function registerAdminRoutes(app: FastifyInstance, ctx: HttpCtx): void {
  const { c } = ctx;
  const users = c.governance.users;

  app.get('/collections', {
    schema: { summary: 'Collections you may use, with their policies and sizes', tags: ['admin'], response: { 200: obj({ collections: arr(Collection) }, ['collections']), ...errors(401) } },
  }, async (req) => {
    const actor = actorOf(req);
    const all = await c.repos.assets.listCollections();
    return { collections: all.filter((x) => actor.collection === null || x.name === actor.collection) };
  });

  app.put('/collections/:name', {
    schema: {
      summary: 'Create or change a collection policy (as `vitrine collection set`)', tags: ['admin'],
      params: obj({ name: NAME }, ['name']),
      body: obj({
        requirePurpose: bool, purposes: arr({ type: 'string', minLength: 1, maxLength: 100 }),
        analysers: { type: ['array', 'null'], items: str }, ocrLang: { type: ['array', 'null'], items: { type: 'string', maxLength: 20 } },
      }),
      response: { 200: Collection, ...errors(400, 401, 403) },
    },
  }, async (req) => {
    const { name } = req.params as { name: string };
    const actor = actorOf(req);
    await c.access.check(actor, 'admin', name, null, null);
    const patch = req.body as { requirePurpose?: boolean; purposes?: string[]; analysers?: string[] | null; ocrLang?: string[] | null };
    if (patch.analysers) c.registry.closure(patch.analysers);
    await c.repos.assets.updateCollection(name, patch);
    await c.audit.record({ actor: actor.name, action: 'config', target: `collection:${name}`, purpose: null, outcome: 'ok', detail: patch });
    const col = (await c.repos.assets.listCollections()).find((x) => x.name === name);
    if (!col) throw notFound(`collection ${name}`);
    return col;
  });

  app.get('/users', {
    schema: { summary: 'Users and their roles', tags: ['admin'], response: { 200: obj({ users: arr(User) }, ['users']), ...errors(401, 403) } },
  }, async (req) => ({ users: await users.list(actorOf(req)) }));

  app.post('/users', {
    schema: {
      summary: 'Add a user, or replace the role and token of an existing one (as `vitrine user add`); the token is shown once', tags: ['admin'],
      body: obj({ name: NAME, role: { type: 'string', enum: ROLES }, collection: { type: ['string', 'null'], maxLength: 200 } }, ['name', 'role']),
      response: { 201: obj({ name: str, role: str, collection: { type: ['string', 'null'] }, token: str }, ['name', 'role', 'collection', 'token']), ...errors(400, 401, 403) },
    },
  }, async (req, reply) => {
    const b = req.body as { name: string; role: string; collection?: string | null };
    const r = await users.add(b.name, b.role, b.collection ?? null, actorOf(req));
    await ctx.sessions.dropUser(b.name);
    return reply.code(201).send(r);
  });

  app.delete('/users/:name', {
    schema: { summary: 'Remove a user (their token and sessions stop working at once)', tags: ['admin'], params: obj({ name: NAME }, ['name']), response: { 200: obj({ removed: str }, ['removed']), ...errors(401, 403, 404) } },
  }, async (req) => {
    const { name } = req.params as { name: string };
    const r = await users.remove(name, actorOf(req));
    await ctx.sessions.dropUser(name);
    return r;
  });

  app.put('/users/:name/password', {
    schema: {
      summary: 'Set the password a user logs in with in the browser (at least 10 characters)', tags: ['admin'],
      params: obj({ name: NAME }, ['name']), body: obj({ password: { type: 'string', minLength: 1, maxLength: 1000 } }, ['password']),
      response: { 200: obj({ name: str, password: bool }, ['name', 'password']), ...errors(400, 401, 403, 404) },
    },
  }, async (req) => {
    const { name } = req.params as { name: string };
    const r = await users.setPassword(name, (req.body as { password: string }).password, actorOf(req));
    await ctx.sessions.dropUser(name);
    return r;
  });
}
