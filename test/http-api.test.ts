// The HTTP API against a real server on 127.0.0.1: permission table, authentication (tokens, cookie +
// CSRF, rate-limited audited logins), every cross-collection access refused, each role's forbidden
// actions, purposes, untrusted originals (attachment, nosniff, CSP, Range), errors, OpenAPI, SSE.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { buildApp } from '../src/http/app.ts';
import { ROUTE_PERMISSIONS } from '../src/http/permissions.ts';
import { startServer, type Server } from './http-fixture.ts';

let s: Server;
const tok: Record<string, string> = {};
let newsId = '';
let legalId = '';
let htmlId = '';

const json = async (r: Response) => ({ status: r.status, body: await r.json() as any });

before(async () => {
  s = await startServer({ app: { limiter: { perName: 3, perAddress: 50 } } });
  tok.admin = await s.user('root', 'admin');
  tok.viewer = await s.user('vera', 'viewer', 'news');
  tok.analyst = await s.user('ana', 'analyst', 'news');
  tok.curator = await s.user('cora', 'curator', 'news');
  tok.auditor = await s.user('otto', 'auditor');
  tok.globalViewer = await s.user('gwen', 'viewer');
  // Only text extraction: quick, and it exercises the collection-policy route.
  for (const col of ['news', 'legal']) {
    const r = await s.api(`/api/v1/collections/${col}`, { token: tok.admin, method: 'PUT', body: { analysers: ['document-text'], ...(col === 'legal' ? { requirePurpose: true, purposes: ['litigation'] } : {}) } });
    assert.equal(r.status, 200, await r.text());
  }
  const up = async (col: string, name: string, text: string) => {
    const r = await s.api(`/api/v1/assets?collection=${col}&name=${encodeURIComponent(name)}`, { token: tok.admin, raw: text, headers: { 'content-type': 'application/octet-stream' } });
    const b = await r.json() as any;
    assert.equal(r.status, 201, JSON.stringify(b));
    return b.assets[0].id as string;
  };
  newsId = await up('news', 'harbour.txt', 'The harbour authority met on Tuesday about the cranes.\n');
  legalId = await up('legal', 'contract.txt', 'Confidential harbour settlement between the parties.\n');
  htmlId = await up('news', 'evil.html', '<!doctype html><html><body><script>alert(1)</script>harbour</body></html>\n');
  await s.idle();
});

after(async () => {
  await s?.close();
});

describe('permission table', () => {
  test('a route without a declared permission stops the server from starting', async () => {
    await assert.rejects(buildApp(s.c, { extraRoutes: (app) => app.get('/api/v1/undeclared', async () => ({})) }), /no permission/);
  });

  test('every route in the OpenAPI document has one, and every non-public route refuses anonymous calls', async () => {
    const doc = await (await s.api('/api/v1/openapi.json')).json() as any;
    assert.equal(doc.openapi, '3.1.0');
    let checked = 0;
    for (const [path, ops] of Object.entries<any>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(ops)) {
        const url = path.replace(/\{(\w+)\}/g, ':$1');
        assert.ok(ROUTE_PERMISSIONS[`${method.toUpperCase()} ${url}`], `${method} ${url}`);
        assert.equal(op['x-permission'], ROUTE_PERMISSIONS[`${method.toUpperCase()} ${url}`]);
        assert.ok(Object.keys(op.responses).length > 0);
        if (op['x-permission'] === 'public') continue;
        const concrete = path.replace('{id}', newsId).replace(/\{\w+\}/g, 'x');
        const r = await fetch(s.url + concrete, { method: method.toUpperCase(), ...(method === 'get' || method === 'head' ? {} : { headers: { 'content-type': 'application/json' }, body: '{}' }) });
        assert.equal(r.status, 401, `${method} ${path} without credentials gave ${r.status}`);
        checked++;
      }
    }
    assert.ok(checked >= 30, `checked ${checked}`);
    const page = await s.api('/api/v1/docs');
    assert.equal(page.status, 200);
    assert.match(await page.text(), /GET<\/span> <code>\/api\/v1\/search<\/code>/);
  });
});

describe('search and assets', () => {
  test('search returns hits with snippets, matches and facets; filters by facet', async () => {
    const { status, body } = await json(await s.api('/api/v1/search?q=harbour&purpose=litigation', { token: tok.admin }));
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.total, 3);
    const h = body.hits.find((x: any) => x.assetId === newsId);
    assert.match(h.snippet, /«harbour»/);
    assert.equal(h.matches[0].analyser, 'document-text');
    assert.deepEqual(body.facets.collection, { news: 2, legal: 1 });
    assert.equal(body.facets.type.document, 3);
    const month = new Date().toISOString().slice(0, 7);
    assert.equal(body.facets.month[month], 3);
    const f = await json(await s.api(`/api/v1/search?q=harbour&collection=news&month=${month}`, { token: tok.admin }));
    assert.equal(f.body.total, 2);
    const none = await json(await s.api('/api/v1/search?q=harbour&month=1999-01', { token: tok.admin }));
    assert.equal(none.body.total, 0);
  });

  test('facets over the best matches, not just the page; same access rules; audited', async () => {
    const page = await json(await s.api('/api/v1/search?q=harbour&purpose=litigation&limit=1', { token: tok.admin }));
    assert.equal(page.body.hits.length, 1);
    assert.equal(Object.values<number>(page.body.facets.collection).reduce((a, b) => a + b, 0), 1, 'page facets: one hit');
    const wide = await json(await s.api('/api/v1/search/facets?q=harbour&purpose=litigation', { token: tok.admin }));
    assert.equal(wide.status, 200, JSON.stringify(wide.body));
    assert.equal(wide.body.basis, 3);
    assert.deepEqual(wide.body.facets.collection, { news: 2, legal: 1 });
    assert.equal(wide.body.facets.type.document, 3);
    // A smaller sample covers only the best ones; a facet filter narrows what is counted.
    assert.equal((await json(await s.api('/api/v1/search/facets?q=harbour&purpose=litigation&sample=2', { token: tok.admin }))).body.basis, 2);
    assert.equal((await json(await s.api('/api/v1/search/facets?q=harbour&purpose=litigation&month=1999-01', { token: tok.admin }))).body.basis, 0);
    // A viewer limited to news counts news only; an auditor may not search at all.
    const vera = await json(await s.api('/api/v1/search/facets?q=harbour', { token: tok.viewer }));
    assert.deepEqual(vera.body.facets.collection, { news: 2 });
    assert.equal((await s.api('/api/v1/search/facets?q=harbour', { token: tok.auditor })).status, 403);
    const log = await json(await s.api('/api/v1/audit/log?actor=vera&action=search', { token: tok.auditor }));
    assert.ok(log.body.events.some((e: any) => e.detail?.facets === true && e.detail.query === 'harbour'));
  });

  test('show, list, original with Range as an untrusted attachment', async () => {
    const show = await json(await s.api(`/api/v1/assets/${newsId}`, { token: tok.viewer }));
    assert.equal(show.status, 200);
    assert.equal(show.body.collection, 'news');
    assert.equal(show.body.analyses['document-text'].status, 'done');
    const list = await json(await s.api('/api/v1/assets', { token: tok.viewer }));
    assert.deepEqual(list.body.assets.map((a: any) => a.collection).sort(), ['news', 'news']);
    const o = await s.api(`/api/v1/assets/${htmlId}/original`, { token: tok.viewer });
    assert.equal(o.status, 200);
    assert.match(o.headers.get('content-disposition')!, /^attachment; filename="evil.html"/);
    assert.equal(o.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(o.headers.get('content-type'), 'application/octet-stream');
    assert.match(o.headers.get('content-security-policy')!, /default-src 'none'; sandbox/);
    assert.match(await o.text(), /<script>/);
    const part = await s.api(`/api/v1/assets/${newsId}/original`, { token: tok.viewer, headers: { range: 'bytes=4-10' } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('content-range'), 'bytes 4-10/55');
    assert.equal(await part.text(), 'harbour');
    const tail = await s.api(`/api/v1/assets/${newsId}/original`, { token: tok.viewer, headers: { range: 'bytes=-7' } });
    assert.equal(await tail.text(), 'cranes.\n'.slice(-7));
    const bad = await s.api(`/api/v1/assets/${newsId}/original`, { token: tok.viewer, headers: { range: 'bytes=999-' } });
    assert.equal(bad.status, 416);
    assert.equal(bad.headers.get('content-range'), 'bytes */55');
    const app = await s.api('/');
    assert.match(app.headers.get('content-security-policy')!, /script-src 'self'/);
  });

  test('errors have one shape and the right status', async () => {
    const e404 = await json(await s.api('/api/v1/assets/nope', { token: tok.admin }));
    assert.deepEqual([e404.status, e404.body.error.code], [404, 'E_NOT_FOUND']);
    const e400 = await json(await s.api('/api/v1/search?limit=5000&q=x', { token: tok.admin }));
    assert.deepEqual([e400.status, e400.body.error.code], [400, 'E_VALIDATION']);
    const noq = await json(await s.api('/api/v1/search', { token: tok.admin }));
    assert.equal(noq.status, 400);
    const route = await json(await s.api('/api/v1/nothing-here', { token: tok.admin }));
    assert.deepEqual([route.status, route.body.error.code], [404, 'E_NOT_FOUND']);
    const badTok = await json(await s.api('/api/v1/me', { token: 'vt_not-a-token' }));
    assert.deepEqual([badTok.status, badTok.body.error.code], [401, 'E_UNAUTHORIZED']);
    const hold = await s.api('/api/v1/holds', { token: tok.admin, body: { asset: htmlId, reason: 'case 7' } });
    assert.equal(hold.status, 201, await hold.text());
    const erase = await json(await s.api(`/api/v1/assets/${htmlId}/erase`, { token: tok.admin, body: { reason: 'test' } }));
    assert.deepEqual([erase.status, erase.body.error.code], [423, 'E_LEGAL_HOLD']);
    const rel = await s.api('/api/v1/holds/release', { token: tok.admin, body: { asset: htmlId, reason: 'closed' } });
    assert.equal(rel.status, 200);
  });
});

describe('collections and purposes', () => {
  // A viewer, analyst and curator of "news" try everything on the "legal" asset.
  const attempts = (id: string): [string, string, unknown?][] => [
    ['GET', `/api/v1/assets/${id}`], ['GET', `/api/v1/assets/${id}/original`], ['GET', `/api/v1/assets/${id}/thumbnail`],
    ['GET', `/api/v1/assets/${id}/derived/0`], ['GET', `/api/v1/assets/${id}/captions.vtt`], ['GET', `/api/v1/assets/${id}/similar`],
    ['POST', `/api/v1/assets/${id}/export`, {}], ['POST', `/api/v1/assets/${id}/erase`, { reason: 'x' }],
    ['POST', '/api/v1/holds', { asset: id, reason: 'x' }], ['POST', '/api/v1/holds', { collection: 'legal', reason: 'x' }],
    ['GET', '/api/v1/search?q=harbour&collection=legal'], ['GET', '/api/v1/assets?collection=legal'],
    ['PUT', '/api/v1/retention/legal', { duration: '0d' }], ['PUT', '/api/v1/collections/legal', { requirePurpose: false }],
  ];
  for (const who of ['viewer', 'analyst', 'curator']) {
    test(`a ${who} of "news" gets 403/404 for everything in "legal", even with its purpose`, async () => {
      for (const [method, path, body] of attempts(legalId)) {
        for (const purpose of [null, 'litigation']) {
          const r = await s.api(path, { token: tok[who]!, method, ...(body !== undefined ? { body } : {}), ...(purpose ? { headers: { 'x-vitrine-purpose': purpose } } : {}) });
          assert.ok([403, 404].includes(r.status), `${who} ${method} ${path} gave ${r.status}`);
        }
      }
      const hits = await json(await s.api('/api/v1/search?q=harbour', { token: tok[who]! }));
      assert.ok(hits.body.hits.every((h: any) => h.collection === 'news'));
      const cols = await json(await s.api('/api/v1/collections', { token: tok[who]! }));
      assert.deepEqual(cols.body.collections.map((c: any) => c.name), ['news']);
    });
  }

  test('a collection that requires a purpose refuses without one, and only allowed purposes pass', async () => {
    const no = await json(await s.api(`/api/v1/assets/${legalId}`, { token: tok.globalViewer }));
    assert.deepEqual([no.status, no.body.error.code], [403, 'E_PURPOSE_REQUIRED']);
    const wrong = await json(await s.api(`/api/v1/assets/${legalId}?purpose=curiosity`, { token: tok.globalViewer }));
    assert.deepEqual([wrong.status, wrong.body.error.code], [403, 'E_PURPOSE_NOT_ALLOWED']);
    const ok = await s.api(`/api/v1/assets/${legalId}`, { token: tok.globalViewer, headers: { 'x-vitrine-purpose': 'litigation' } });
    assert.equal(ok.status, 200);
    const s1 = await json(await s.api('/api/v1/search?q=harbour', { token: tok.globalViewer }));
    assert.ok(s1.body.hits.every((h: any) => h.collection !== 'legal'), 'no purpose: legal hits are left out');
    const log = await json(await s.api('/api/v1/audit/log?action=show&limit=50', { token: tok.auditor }));
    assert.ok(log.body.events.some((e: any) => e.actor === 'gwen' && e.outcome === 'refused'));
    assert.ok(log.body.events.some((e: any) => e.actor === 'gwen' && e.outcome === 'ok' && e.purpose === 'litigation'));
  });
});

describe('roles', () => {
  const forbidden: Record<string, [string, string, unknown?][]> = {
    viewer: [['POST', '/api/v1/assets?name=a.txt&collection=news', 'raw'], ['POST', '/api/v1/uploads', 'tus'], ['POST', `/api/v1/assets/NEWS/export`, {}],
      ['GET', '/api/v1/audit/log'], ['GET', '/api/v1/report'], ['GET', '/api/v1/users'], ['POST', '/api/v1/holds', { asset: 'NEWS', reason: 'x' }]],
    analyst: [['POST', '/api/v1/assets?name=a.txt&collection=news', 'raw'], ['POST', '/api/v1/assets/NEWS/erase', { reason: 'x' }],
      ['GET', '/api/v1/audit/verify'], ['POST', '/api/v1/users', { name: 'x', role: 'admin' }], ['POST', '/api/v1/retention/apply']],
    curator: [['GET', '/api/v1/users'], ['POST', '/api/v1/users', { name: 'x', role: 'admin' }], ['PUT', '/api/v1/collections/news', { requirePurpose: true }],
      ['GET', '/api/v1/audit/log'], ['DELETE', '/api/v1/users/vera']],
    auditor: [['GET', '/api/v1/search?q=harbour'], ['GET', '/api/v1/assets/NEWS'], ['GET', '/api/v1/assets/NEWS/original'], ['GET', '/api/v1/assets'],
      ['POST', '/api/v1/assets?name=a.txt', 'raw'], ['POST', '/api/v1/holds', { asset: 'NEWS', reason: 'x' }], ['GET', '/api/v1/users']],
  };
  for (const [role, list] of Object.entries(forbidden)) {
    test(`${role}: forbidden actions give 403 and are audited`, async () => {
      for (const [method, p, body] of list) {
        const path = p.replace('NEWS', newsId);
        const o = body === 'raw' ? { raw: 'x', headers: { 'content-type': 'application/octet-stream' } }
          : body === 'tus' ? { headers: { 'tus-resumable': '1.0.0', 'upload-length': '1', 'upload-metadata': `filename ${btoa('a.txt')}` } }
          : body !== undefined ? { body } : {};
        const r = await s.api(path, { token: tok[role === 'viewer' ? 'viewer' : role]!, method, ...o });
        assert.equal(r.status, 403, `${role} ${method} ${path}: ${r.status} ${await r.text()}`);
      }
      const name = { viewer: 'vera', analyst: 'ana', curator: 'cora', auditor: 'otto' }[role]!;
      const log = await json(await s.api(`/api/v1/audit/log?actor=${name}&limit=1000`, { token: tok.auditor }));
      assert.ok(log.body.events.filter((e: any) => e.outcome === 'refused').length >= list.length - 1, `${role}: refusals audited`);
    });
  }
  test('what each role may do, it can', async () => {
    assert.equal((await s.api('/api/v1/audit/verify', { token: tok.auditor })).status, 200);
    const rep = await json(await s.api('/api/v1/report', { token: tok.auditor }));
    assert.equal(rep.status, 200);
    assert.ok(rep.body.held.count >= 3);
    const html = await s.api('/api/v1/report?format=html', { token: tok.auditor });
    assert.match(await html.text(), /<html/i);
    const up = await s.api('/api/v1/assets?name=note.txt&collection=news', { token: tok.curator, raw: 'curated harbour note', headers: { 'content-type': 'application/octet-stream' } });
    assert.equal(up.status, 201);
    const ex = await s.api(`/api/v1/assets/${newsId}/export`, { token: tok.analyst, body: {} });
    assert.equal(ex.status, 200);
    assert.match(ex.headers.get('content-disposition')!, /attachment/);
    assert.match(await ex.text(), /harbour authority/);
    const me = await json(await s.api('/api/v1/me', { token: tok.viewer }));
    assert.deepEqual(me.body.permissions, ['search', 'show']);
  });
});

describe('browser login', () => {
  const cookieOf = (r: Response) => r.headers.get('set-cookie')!.split(';')[0]!;

  test('token login sets an httpOnly SameSite cookie; writes need the CSRF token', async () => {
    const r = await s.api('/api/v1/login', { body: { token: tok.admin } });
    assert.equal(r.status, 200);
    const sc = r.headers.get('set-cookie')!;
    assert.match(sc, /HttpOnly/i);
    assert.match(sc, /SameSite=Strict/i);
    const { csrfToken } = await r.json() as any;
    const cookie = cookieOf(r);
    const me = await json(await s.api('/api/v1/me', { headers: { cookie } }));
    assert.equal(me.body.name, 'root');
    assert.equal(me.body.csrfToken, csrfToken);
    const noCsrf = await json(await s.api('/api/v1/collections/news', { method: 'PUT', body: { purposes: [] }, headers: { cookie } }));
    assert.deepEqual([noCsrf.status, noCsrf.body.error.code], [403, 'E_CSRF']);
    const withCsrf = await s.api('/api/v1/collections/news', { method: 'PUT', body: { purposes: [] }, headers: { cookie, 'x-csrf-token': csrfToken } });
    assert.equal(withCsrf.status, 200);
    const out = await s.api('/api/v1/logout', { method: 'POST', headers: { cookie, 'x-csrf-token': csrfToken } });
    assert.equal(out.status, 200);
    assert.equal((await s.api('/api/v1/me', { headers: { cookie } })).status, 401);
  });

  test('sessions live in the database: a new server process keeps them; ids are stored hashed; a role change ends them', async () => {
    const token = await s.user('sam', 'viewer');
    const r = await s.api('/api/v1/login', { body: { token } });
    assert.equal(r.status, 200);
    const cookie = cookieOf(r);
    // A second app on the same database stands in for a restarted (or a second) server.
    const other = await buildApp(s.c);
    const url2 = await other.listen({ host: '127.0.0.1', port: 0 });
    try {
      const me = await (await fetch(`${url2}/api/v1/me`, { headers: { cookie } })).json() as any;
      assert.equal(me.name, 'sam');
      const rows = (await s.c.db.executeSql("SELECT id_hash FROM sessions WHERE user_name = 'sam'")).rows;
      assert.equal(rows.length, 1);
      assert.notEqual(rows[0].id_hash, cookie.split('=')[1]);
      // The same change from the CLI (the governance service) ends the browser session everywhere.
      await s.c.governance.users.add('sam', 'analyst', null, s.c.localActor);
      assert.equal((await fetch(`${url2}/api/v1/me`, { headers: { cookie } })).status, 401);
      assert.equal((await s.api('/api/v1/me', { headers: { cookie } })).status, 401);
    } finally {
      await other.close();
    }
  });

  test('password login; failed logins are rate limited per name and audited', async () => {
    assert.equal((await s.api('/api/v1/users/vera/password', { token: tok.admin, method: 'PUT', body: { password: 'correct horse battery' } })).status, 200);
    const ok = await s.api('/api/v1/login', { body: { name: 'vera', password: 'correct horse battery' } });
    assert.equal(ok.status, 200);
    for (let i = 0; i < 3; i++) assert.equal((await s.api('/api/v1/login', { body: { name: 'vera', password: 'wrong' + i } })).status, 401);
    const limited = await s.api('/api/v1/login', { body: { name: 'vera', password: 'correct horse battery' } });
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers.get('retry-after')) > 0);
    const log = await json(await s.api('/api/v1/audit/log?action=auth', { token: tok.auditor }));
    const refused = log.body.events.filter((e: any) => e.actor === 'vera' && e.outcome === 'refused');
    assert.ok(refused.length >= 4, JSON.stringify(refused));
    assert.ok(log.body.events.some((e: any) => e.actor === 'vera' && e.outcome === 'ok'));
  });
});

describe('uploads and progress', () => {
  test('tus: create, partial PATCH, HEAD to resume, finish → ingested; others cannot see the upload', async () => {
    const text = 'A resumable upload about the harbour lighthouse keeper.\n'.repeat(50);
    const bytes = new TextEncoder().encode(text);
    const md = `filename ${btoa('lighthouse.txt')},collection ${btoa('news')}`;
    const tus = { 'tus-resumable': '1.0.0' };
    const c = await s.api('/api/v1/uploads', { token: tok.curator, method: 'POST', headers: { ...tus, 'upload-length': String(bytes.length), 'upload-metadata': md } });
    assert.equal(c.status, 201, await c.text());
    const loc = c.headers.get('location')!;
    assert.match(loc, /^\/api\/v1\/uploads\/[\w-]+$/);
    const patch = (from: number, to: number) => s.api(loc, { token: tok.curator, method: 'PATCH', raw: bytes.slice(from, to), headers: { ...tus, 'upload-offset': String(from), 'content-type': 'application/offset+octet-stream' } });
    assert.equal((await patch(0, 1000)).status, 204);
    assert.equal((await s.api(loc, { token: tok.viewer, method: 'HEAD', headers: tus })).status, 403);
    assert.equal((await s.api(loc, { token: tok.analyst, method: 'HEAD', headers: tus })).status, 403);
    assert.equal((await s.api(loc, { token: tok.admin, method: 'HEAD', headers: tus })).status, 404, 'not the owner');
    const head = await s.api(loc, { token: tok.curator, method: 'HEAD', headers: tus });
    assert.equal(head.headers.get('upload-offset'), '1000');
    const done = await patch(1000, bytes.length);
    assert.equal(done.status, 200);
    const res = await done.json() as any;
    assert.equal(res.ingested, 1);
    assert.equal(res.assets[0].type, 'document');
    const show = await json(await s.api(`/api/v1/assets/${res.assets[0].id}`, { token: tok.curator }));
    assert.equal(show.body.size, bytes.length);
    assert.equal(show.body.name, 'lighthouse.txt');
    // The finished file was moved into the blob store (one write), and nothing of the upload is left behind.
    const original = await s.api(`/api/v1/assets/${res.assets[0].id}/original`, { token: tok.curator });
    assert.equal(await original.text(), text);
    assert.deepEqual(await readdir(join(s.dir, 'uploads')), []);
    assert.equal((await s.c.blobs.verify(res.assets[0].sha256)).ok, true);
    const legal = await s.api('/api/v1/uploads', { token: tok.curator, method: 'POST', headers: { ...tus, 'upload-length': '5', 'upload-metadata': `filename ${btoa('x.txt')},collection ${btoa('legal')}` } });
    assert.equal(legal.status, 403);
  });

  test('GET /events streams status', async () => {
    const ac = new AbortController();
    const r = await fetch(s.url + '/api/v1/events', { headers: { authorization: `Bearer ${tok.viewer}` }, signal: ac.signal });
    assert.equal(r.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    const reader = r.body!.getReader();
    let text = '';
    while (!text.includes('\n\nevent: status') || !text.endsWith('\n\n')) text += new TextDecoder().decode((await reader.read()).value);
    ac.abort();
    const data = JSON.parse(/data: (.*)\n/.exec(text)![1]!);
    assert.ok(data.analysers['document-text'].done >= 1);
  });
});
