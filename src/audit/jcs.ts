// RFC 8785 JSON Canonicalization Scheme (JCS): the byte format the audit hash chain is computed over.
// ECMAScript already serializes numbers (Number::toString) and strings (JSON.stringify) exactly as RFC 8785
// §3.2.2 requires, so the work left is: sort object keys by UTF-16 code units, drop no whitespace, and refuse
// what I-JSON (RFC 7493) forbids — NaN/Infinity and lone surrogates — instead of silently mangling it.
// Checked against the `canonicalize` package and the RFC's own vectors in test/audit-chain.test.ts.

export class JcsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JcsError';
  }
}

// String.prototype.isWellFormed is in Node 20+, but the ES2024 lib is newer than this project's target.
type WellFormedCheck = string & { isWellFormed(): boolean };

/** A string in JCS form (quotes included). Throws on lone surrogates (not representable in UTF-8). */
export function jcsString(s: string): string {
  if (!(s as WellFormedCheck).isWellFormed()) throw new JcsError('string contains a lone surrogate');
  return JSON.stringify(s);
}

/** A number in JCS form: ECMAScript shortest round-trip form; -0 becomes 0. */
export function jcsNumber(n: number): string {
  if (!Number.isFinite(n)) throw new JcsError(`${n} is not allowed in JSON`);
  return JSON.stringify(n);
}

// Default JS sort compares UTF-16 code units, which is exactly the RFC 8785 §3.2.3 order.
function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function serialize(value: unknown, out: string[], seen: Set<object>): void {
  if (value === null) { out.push('null'); return; }
  switch (typeof value) {
    case 'boolean': out.push(value ? 'true' : 'false'); return;
    case 'number': out.push(jcsNumber(value)); return;
    case 'string': out.push(jcsString(value)); return;
    case 'object': break;
    default: throw new JcsError(`cannot canonicalize a ${typeof value}`);
  }
  const obj = value as Record<string, unknown> & { toJSON?: () => unknown };
  if (typeof obj.toJSON === 'function') { serialize(obj.toJSON(), out, seen); return; }
  if (seen.has(obj)) throw new JcsError('cyclic structure');
  seen.add(obj);
  if (Array.isArray(obj)) {
    out.push('[');
    for (let i = 0; i < obj.length; i++) {
      if (i > 0) out.push(',');
      const v = obj[i];
      // Same as JSON.stringify: holes, undefined and functions inside arrays become null.
      serialize(v === undefined || typeof v === 'function' || typeof v === 'symbol' ? null : v, out, seen);
    }
    out.push(']');
  } else {
    out.push('{');
    let first = true;
    for (const key of Object.keys(obj).sort(byCodeUnits)) {
      const v = obj[key];
      // Same as JSON.stringify: members whose value is undefined/function/symbol are omitted.
      if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
      if (!first) out.push(',');
      first = false;
      out.push(jcsString(key), ':');
      serialize(v, out, seen);
    }
    out.push('}');
  }
  seen.delete(obj);
}

/** RFC 8785 canonical JSON text of a JSON-compatible value. Encode the result as UTF-8 before hashing. */
export function canonicalJson(value: unknown): string {
  const out: string[] = [];
  serialize(value, out, new Set());
  return out.join('');
}
