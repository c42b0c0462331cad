// The one place that says what each route needs. A route missing here cannot be registered (app.ts
// refuses it at start-up), so no endpoint is ever reachable without a declared permission.
// 'public': no login; 'user': any logged-in user (the service below still checks collections);
// anything else is an AccessPolicy action the actor's role must allow.
import type { Action } from '../services/access.ts';

export type Permission = 'public' | 'user' | Action;

export const ROUTE_PERMISSIONS: Record<string, Permission> = {
  'GET /api/v1/openapi.json': 'public',
  'GET /api/v1/docs': 'public',
  'POST /api/v1/login': 'public',
  'POST /api/v1/logout': 'user',
  'GET /api/v1/me': 'user',

  'GET /api/v1/search': 'search',
  'GET /api/v1/search/facets': 'search',
  'GET /api/v1/assets': 'show',
  'POST /api/v1/assets': 'ingest',
  'GET /api/v1/assets/:id': 'show',
  'GET /api/v1/assets/:id/original': 'show',
  'GET /api/v1/assets/:id/thumbnail': 'show',
  'GET /api/v1/assets/:id/derived/:n': 'show',
  'GET /api/v1/assets/:id/similar': 'show',
  'GET /api/v1/assets/:id/captions.vtt': 'show',
  'POST /api/v1/assets/:id/export': 'export',

  'POST /api/v1/uploads': 'ingest',
  'OPTIONS /api/v1/uploads': 'public',
  'HEAD /api/v1/uploads/:uploadId': 'ingest',
  'PATCH /api/v1/uploads/:uploadId': 'ingest',
  'DELETE /api/v1/uploads/:uploadId': 'ingest',
  'OPTIONS /api/v1/uploads/:uploadId': 'public',

  'GET /api/v1/status': 'user',
  'GET /api/v1/events': 'user',
  'GET /api/v1/collections': 'user',
  'PUT /api/v1/collections/:name': 'admin',

  'GET /api/v1/audit/log': 'audit',
  'GET /api/v1/audit/verify': 'audit',
  'GET /api/v1/report': 'audit',

  'GET /api/v1/users': 'admin',
  'POST /api/v1/users': 'admin',
  'DELETE /api/v1/users/:name': 'admin',
  'PUT /api/v1/users/:name/password': 'admin',

  'GET /api/v1/holds': 'hold',
  'POST /api/v1/holds': 'hold',
  'POST /api/v1/holds/release': 'hold',
  'PUT /api/v1/retention/:collection': 'retention',
  'POST /api/v1/retention/apply': 'retention',
  'POST /api/v1/assets/:id/erase': 'erase',
};

/** HEAD is answered by the GET handler and needs what GET needs. */
export function permissionFor(method: string, url: string): Permission | undefined {
  return ROUTE_PERMISSIONS[`${method} ${url}`] ?? (method === 'HEAD' ? ROUTE_PERMISSIONS[`GET ${url}`] : undefined);
}
