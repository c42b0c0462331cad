// OpenAPI 3.1 from the routes' own JSON schemas (collected as routes register), and a small reference
// page rendered on the server (no script, so the strict CSP holds).
import { ErrorSchema } from './schemas.ts';

export interface RouteDoc {
  method: string;
  url: string;
  permission: string;
  schema?: {
    summary?: string;
    description?: string;
    tags?: string[];
    params?: any;
    querystring?: any;
    body?: any;
    response?: Record<string, any>;
    consumes?: string[];
    produces?: string[];
  };
}

const toPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

function parameters(where: 'path' | 'query', schema: any): unknown[] {
  if (!schema?.properties) return [];
  const req = new Set<string>(schema.required ?? []);
  return Object.entries(schema.properties).map(([name, s]: [string, any]) => ({
    name, in: where, required: where === 'path' || req.has(name), schema: s, ...(s.description ? { description: s.description } : {}),
  }));
}

export function buildOpenApi(routes: RouteDoc[], version: string): unknown {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    if (r.method === 'HEAD' && routes.some((x) => x.method === 'GET' && x.url === r.url)) continue;
    const s = r.schema ?? {};
    const responses: Record<string, unknown> = {};
    for (const [code, body] of Object.entries(s.response ?? { 200: {} })) {
      const ct = Number(code) >= 400 ? 'application/json' : (s.produces?.[0] ?? 'application/json');
      responses[code] = { description: Number(code) >= 400 ? 'error' : 'ok', content: { [ct]: { schema: body } } };
    }
    const op: Record<string, unknown> = {
      operationId: `${r.method.toLowerCase()}${toPath(r.url).replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_m, ch: string | undefined) => (ch ? ch.toUpperCase() : ''))}`,
      summary: s.summary ?? `${r.method} ${r.url}`,
      ...(s.description ? { description: s.description } : {}),
      tags: s.tags ?? [r.url.split('/')[3] ?? 'api'],
      'x-permission': r.permission,
      parameters: [...parameters('path', s.params), ...parameters('query', s.querystring)],
      responses,
      ...(r.permission === 'public' ? { security: [] } : {}),
    };
    if (s.body) op.requestBody = { required: true, content: { 'application/json': { schema: s.body } } };
    else if (s.consumes) op.requestBody = { required: true, content: Object.fromEntries(s.consumes.map((c) => [c, { schema: { type: 'string', format: 'binary' } }])) };
    (paths[toPath(r.url)] ??= {})[r.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Vitrine API', version, description: 'Self-hosted, offline-indexed, accountable archive. Shapes match the CLI\'s --json output.' },
    servers: [{ url: '/' }],
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'token from `vitrine user add`' },
        session: { type: 'apiKey', in: 'cookie', name: 'vitrine_session', description: 'from POST /api/v1/login; writes need X-CSRF-Token' },
      },
      schemas: { Error: ErrorSchema },
    },
    security: [{ bearer: [] }, { session: [] }],
    paths,
  };
}

const esc = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

export function referencePage(doc: any): string {
  const rows: string[] = [];
  for (const [path, ops] of Object.entries<any>(doc.paths)) {
    for (const [method, op] of Object.entries<any>(ops)) {
      const params = (op.parameters ?? []).map((p: any) => `<code>${esc(p.name)}</code>${p.required ? '' : '?'} <small>${esc(p.in)}</small>`).join(', ');
      const body = op.requestBody ? `<details><summary>request body</summary><pre>${esc(JSON.stringify(Object.values<any>(op.requestBody.content)[0].schema, null, 2))}</pre></details>` : '';
      const ok = Object.entries<any>(op.responses).filter(([c]) => Number(c) < 400)
        .map(([c, r]) => `<details><summary>${esc(c)} response</summary><pre>${esc(JSON.stringify(Object.values<any>(r.content ?? {})[0]?.schema ?? {}, null, 2))}</pre></details>`).join('');
      const errs = Object.keys(op.responses).filter((c) => Number(c) >= 400).join(' ');
      rows.push(`<section><h3><span class="m">${esc(method.toUpperCase())}</span> <code>${esc(path)}</code></h3>
<p>${esc(op.summary)} — needs <b>${esc(op['x-permission'])}</b></p>${params ? `<p>parameters: ${params}</p>` : ''}${body}${ok}${errs ? `<p>errors: ${esc(errs)}</p>` : ''}</section>`);
    }
  }
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Vitrine API reference</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
section{border-top:1px solid #ddd;padding:.3rem 0}h3{margin:.4rem 0;font-size:1rem}.m{display:inline-block;min-width:4.5rem;color:#05507a}
pre{background:#f5f5f5;padding:.5rem;overflow:auto;font-size:12px}</style></head><body>
<h1>Vitrine API ${esc(doc.info.version)}</h1><p>${esc(doc.info.description)} Machine-readable: <a href="/api/v1/openapi.json">openapi.json</a>.
Authenticate with <code>Authorization: Bearer TOKEN</code>, or log in with <code>POST /api/v1/login</code> (cookie; writes need <code>X-CSRF-Token</code>).
Purpose: query <code>purpose</code> or header <code>X-Vitrine-Purpose</code>. Errors: <code>{"error":{"code","message"}}</code>.</p>
${rows.join('\n')}</body></html>`;
}
