// JSON schemas of requests and responses: Fastify validates and serialises with them, and openapi.ts
// publishes them. Shapes are the CLI's --json shapes (DESIGN.md); `{}` means any JSON value.
const str = { type: 'string' } as const;
const num = { type: 'number' } as const;
const int = { type: 'integer' } as const;
const bool = { type: 'boolean' } as const;
const any = {} as const;
const nullable = (t: string) => ({ type: [t, 'null'] });
const obj = (properties: Record<string, unknown>, required: string[] = [], extra = false) =>
  ({ type: 'object', properties, required, additionalProperties: extra });
const arr = (items: unknown) => ({ type: 'array', items });

export const ErrorSchema = obj({ error: obj({ code: str, message: str }, ['code', 'message']) }, ['error']);

/** Error responses every route may give. */
export function errors(...codes: number[]): Record<number, unknown> {
  return Object.fromEntries(codes.map((c) => [c, ErrorSchema]));
}

export const purposeQuery = { purpose: { type: 'string', maxLength: 200, description: 'why you are looking (or header X-Vitrine-Purpose)' } };
export const idParams = obj({ id: { type: 'string', minLength: 1, maxLength: 100 } }, ['id']);

export const Match = obj({ analyser: str, text: str, start: num, end: num, page: int, box: arr(num) }, ['analyser', 'text']);
export const Hit = obj({
  assetId: str, path: str, type: str, collection: str, name: str, score: num, snippet: str, matches: arr(Match),
  language: nullable('string'), ingestedAt: str,
}, ['assetId', 'path', 'type', 'collection', 'score', 'snippet', 'matches']);
const FacetCounts = { type: 'object', additionalProperties: int };
const Facets = obj({ type: FacetCounts, collection: FacetCounts, language: FacetCounts, label: FacetCounts, month: FacetCounts });
export const SearchResponse = obj({ total: int, hits: arr(Hit), tookMs: num, facets: Facets }, ['total', 'hits']);
export const FacetsResponse = obj({
  basis: { type: 'integer', description: 'assets the counts cover: the best-matching ones, up to `sample`' },
  facets: Facets, tookMs: num,
}, ['basis', 'facets']);

export const Asset = obj({
  id: str, sha256: str, path: str, name: str, type: str, mime: str, size: int, collection: str, parentId: nullable('string'),
  ingestedAt: str, ingestedBy: str,
}, ['id', 'sha256', 'path', 'name', 'type', 'mime', 'size', 'collection', 'ingestedAt']);

export const ShowResult = obj({
  id: str, sha256: str, path: str, name: str, type: str, mime: str, size: int, collection: str, parent: str,
  children: arr(str), ingestedAt: str, ingestedBy: str, metadata: any,
  analyses: { type: 'object', additionalProperties: obj({ version: int, status: str, error: str, result: any, ms: nullable('number') }, ['version', 'status']) },
  derived: arr(obj({ kind: str, path: str, time: num, page: int, url: str }, ['kind', 'path'])),
}, ['id', 'sha256', 'path', 'type', 'collection', 'analyses', 'derived']);

export const IngestResult = obj({
  ingested: int, duplicates: int,
  failed: arr(obj({ path: str, error: str }, ['path', 'error'])),
  assets: arr(obj({ id: str, path: str, sha256: str, type: str, duplicate: bool }, ['id', 'path', 'sha256', 'type', 'duplicate'])),
}, ['ingested', 'duplicates', 'failed', 'assets']);

const Counts = obj({ queued: int, running: int, done: int, skipped: int, failed: int });
export const StatusResult = obj({
  analysers: { type: 'object', additionalProperties: Counts },
  failures: arr(obj({ assetId: str, path: str, analyser: str, error: str })),
  etaSeconds: num,
}, ['analysers', 'failures', 'etaSeconds']);

export const Collection = obj({
  name: str, requirePurpose: bool, purposes: arr(str), analysers: { type: ['array', 'null'], items: str },
  ocrLang: { type: ['array', 'null'], items: str }, retention: nullable('string'), createdAt: str, assets: int, bytes: int,
  held: bool,
}, ['name', 'requirePurpose', 'purposes']);

export const User = obj({ name: str, role: str, collection: nullable('string'), hasPassword: bool, createdAt: str, createdBy: str }, ['name', 'role', 'collection']);

export const AuditEvent = obj({
  seq: int, time: str, actor: str, action: str, target: nullable('string'), purpose: nullable('string'), outcome: str,
  detail: any, prevHash: str, hash: str,
}, ['seq', 'time', 'actor', 'action', 'outcome', 'hash']);

export const Me = obj({ name: str, role: str, collection: nullable('string'), csrfToken: str, permissions: arr(str) }, ['name', 'role', 'collection']);

/** Loose object for results owned by other services (their shapes are documented in DESIGN.md). */
export const Loose = { type: 'object', additionalProperties: true } as const;

export { str, num, int, bool, any, obj, arr, nullable };
