import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import canonicalizeModule from 'canonicalize';
import { canonicalJson, JcsError } from '../src/audit/jcs.ts';
// The package's CJS typings do not resolve as callable under NodeNext; at run time the default export is the function.
const canonicalize = canonicalizeModule as unknown as (v: unknown) => string | undefined;
import { eventCanonical, eventHash, GENESIS, nextEvent, verifyChain, type AuditEvent, type AuditEventBody } from '../src/audit/chain.ts';

// RFC 8785 Appendix B: IEEE 754 bit patterns and their required serialization.
const NUMBER_VECTORS: Array<[string, string]> = [
  ['0000000000000000', '0'],
  ['8000000000000000', '0'], // -0
  ['0000000000000001', '5e-324'],
  ['8000000000000001', '-5e-324'],
  ['7fefffffffffffff', '1.7976931348623157e+308'],
  ['ffefffffffffffff', '-1.7976931348623157e+308'],
  ['4340000000000000', '9007199254740992'],
  ['c340000000000000', '-9007199254740992'],
  ['4430000000000000', '295147905179352830000'],
  ['44b52d02c7e14af5', '9.999999999999997e+22'],
  ['44b52d02c7e14af6', '1e+23'],
  ['44b52d02c7e14af7', '1.0000000000000001e+23'],
  ['444b1ae4d6e2ef4e', '999999999999999700000'],
  ['444b1ae4d6e2ef4f', '999999999999999900000'],
  ['444b1ae4d6e2ef50', '1e+21'],
  ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
  ['3eb0c6f7a0b5ed8d', '0.000001'],
  ['41b3de4355555553', '333333333.3333332'],
  ['41b3de4355555554', '333333333.33333325'],
  ['41b3de4355555555', '333333333.3333333'],
  ['41b3de4355555556', '333333333.3333334'],
  ['41b3de4355555557', '333333333.33333343'],
  ['becbf647612f3696', '-0.0000033333333333333333'],
  ['43143ff3c1cb0959', '1424953923781206.2'],
];

function fromBits(hex: string): number {
  return Buffer.from(hex, 'hex').readDoubleBE(0);
}

test('JCS numbers: RFC 8785 Appendix B vectors', () => {
  for (const [bits, want] of NUMBER_VECTORS) assert.equal(canonicalJson(fromBits(bits)), want, bits);
  assert.equal(canonicalJson(0.1 + 0.2), '0.30000000000000004');
  assert.equal(canonicalJson(1e21), '1e+21');
  assert.equal(canonicalJson(1e20), '100000000000000000000');
  assert.equal(canonicalJson(-0), '0');
  assert.throws(() => canonicalJson(NaN), JcsError);
  assert.throws(() => canonicalJson(Infinity), JcsError);
  assert.throws(() => canonicalJson(fromBits('7ff0000000000000')), JcsError);
});

test('JCS: RFC 8785 §3.2.2 example, byte for byte', () => {
  const input = JSON.parse(
    '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],' +
      ' "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/", "literals": [null, true, false]}',
  );
  const want = '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],' +
    '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}';
  assert.equal(canonicalJson(input), want);
  // The RFC gives the UTF-8 bytes of this output in hex; check the start, which includes the € (e2 82 ac).
  assert.equal(Buffer.from(canonicalJson(input), 'utf8').subarray(0, 12).toString('hex'), '7b226c69746572616c73223a');
});

test('JCS: keys sorted by UTF-16 code units (RFC 8785 §3.2.3 example)', () => {
  const input = {
    '\u20ac': 'Euro Sign',
    '\r': 'Carriage Return',
    '\ufb33': 'Hebrew Letter Dalet With Dagesh',
    '1': 'One',
    '\ud83d\ude00': 'Emoji: Grinning Face',
    '\u0080': 'Control',
    '\u00f6': 'Latin Small Letter O With Diaeresis',
  };
  // Read the order from the text: Object.keys would list the integer-like key "1" first whatever the order.
  // Code-point order would put U+1F600 after U+FB33; UTF-16 order puts its high surrogate D83D first.
  assert.equal(
    canonicalJson(input),
    '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis",' +
      '"\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
  );
  assert.equal(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } }), '{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}');
});

test('JCS: refuses what I-JSON forbids, drops undefined like JSON', () => {
  assert.throws(() => canonicalJson({ a: 'x\ud800y' }), JcsError);
  assert.throws(() => canonicalJson({ ['\udc00']: 1 }), JcsError);
  assert.throws(() => canonicalJson({ a: 1n }), JcsError);
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  assert.throws(() => canonicalJson(cyclic), JcsError);
  assert.equal(canonicalJson({ a: undefined, b: [undefined] }), '{"b":[null]}');
  assert.equal(canonicalJson({ d: new Date(0) }), '{"d":"1970-01-01T00:00:00.000Z"}');
});

// Deterministic pseudo-random values with awkward strings and numbers.
function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32);
}
const ODD_STRINGS = ['', 'a', 'é', '€', '\u0000', '\u001f', '"', '\\', '/', '\u2028', '😀', 'דּ', 'Zürich', '\u007f', 'tab\tnew\nline'];
function randomValue(r: () => number, depth: number): unknown {
  const k = Math.floor(r() * (depth > 2 ? 5 : 7));
  switch (k) {
    case 0: return null;
    case 1: return r() < 0.5;
    case 2: {
      const opts = [0, -0, 1, -1, 0.1 + 0.2, 1e21, 1e-7, 123456789.123, 2 ** 53, -(2 ** 60), 5e-324, r() * 1e6 - 5e5, Math.floor(r() * 1000)];
      return opts[Math.floor(r() * opts.length)];
    }
    case 3: case 4: return ODD_STRINGS[Math.floor(r() * ODD_STRINGS.length)]! + ODD_STRINGS[Math.floor(r() * ODD_STRINGS.length)]!;
    case 5: return Array.from({ length: Math.floor(r() * 4) }, () => randomValue(r, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let i = Math.floor(r() * 5); i > 0; i--) o[ODD_STRINGS[Math.floor(r() * ODD_STRINGS.length)]! + i] = randomValue(r, depth + 1);
      return o;
    }
  }
}

test('JCS agrees with the canonicalize package on 2,000 random values', () => {
  const r = rng(7);
  for (let i = 0; i < 2000; i++) {
    const v = { v: randomValue(r, 0) };
    assert.equal(canonicalJson(v), canonicalize(v));
  }
});

function randomEvent(r: () => number, seq: number): AuditEventBody {
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)]!;
  return {
    seq,
    time: new Date(1_700_000_000_000 + Math.floor(r() * 1e10)).toISOString(),
    actor: pick(['alice', 'bob', 'Zoë', 'admin', 'ключ', '😀user', '"quoted"']),
    action: pick(['search', 'show', 'export', 'erase', 'auth.failed']),
    target: r() < 0.3 ? null : pick(['asset:01J', 'collection:press', 'a\nb', '\u2028']),
    purpose: r() < 0.4 ? null : pick(['investigation 12', 'FOIA request', 'é€😀', '']),
    outcome: pick(['ok', 'refused', 'error']),
    detail: r() < 0.3 ? null : { q: randomValue(r, 1), n: randomValue(r, 2), 'דּ': 1, '😀': 2, [String(randomValue(r, 3))]: randomValue(r, 3) },
    prevHash: createHash('sha256').update(String(seq)).digest('hex'),
  };
}

test('specialised event serializer is byte-identical to generic JCS and to canonicalize', () => {
  const r = rng(42);
  for (let i = 1; i <= 3000; i++) {
    const e = randomEvent(r, i);
    const fast = eventCanonical(e);
    assert.equal(fast, canonicalJson(e));
    assert.equal(fast, canonicalize(e));
  }
});

test('worked example from docs/AUDIT-FORMAT.md', () => {
  const e: AuditEventBody = {
    seq: 1,
    time: '2025-03-01T09:30:00.000Z',
    actor: 'alice',
    action: 'search',
    target: null,
    purpose: 'investigation 12',
    outcome: 'ok',
    detail: { query: 'Zürich', results: 3 },
    prevHash: GENESIS,
  };
  assert.equal(
    eventCanonical(e),
    '{"action":"search","actor":"alice","detail":{"query":"Zürich","results":3},"outcome":"ok",' +
      '"prevHash":"0000000000000000000000000000000000000000000000000000000000000000","purpose":"investigation 12",' +
      '"seq":1,"target":null,"time":"2025-03-01T09:30:00.000Z"}',
  );
  assert.equal(eventHash(e), createHash('sha256').update(Buffer.from(canonicalJson(e), 'utf8')).digest('hex'));
  assert.equal(eventHash(e), '549a5b0318c9c6603e83eb5f8d139e7028231c009d382f03cd3a8a6876a5700b');
});

function buildChain(n: number): AuditEvent[] {
  const out: AuditEvent[] = [];
  let prev: AuditEvent | null = null;
  for (let i = 0; i < n; i++) {
    prev = nextEvent(prev, {
      actor: i % 3 ? 'alice' : 'bob',
      action: i % 2 ? 'search' : 'show',
      target: i % 4 ? `asset:${i}` : null,
      purpose: i % 5 ? 'case 7' : null,
      outcome: 'ok',
      detail: i % 2 ? { query: `term ${i}`, results: i } : null,
    }, new Date(Date.UTC(2025, 0, 1, 0, 0, i)));
    out.push(prev);
  }
  return out;
}

async function* asAsync<T>(xs: T[]): AsyncGenerator<T> {
  for (const x of xs) yield x;
}

test('nextEvent builds a chain that verifies (sync and async sources)', async () => {
  const chain = buildChain(50);
  assert.equal(chain[0]!.seq, 1);
  assert.equal(chain[0]!.prevHash, GENESIS);
  assert.equal(chain[1]!.prevHash, chain[0]!.hash);
  assert.deepEqual(await verifyChain(chain), { ok: true, events: 50, lastHash: chain[49]!.hash });
  assert.equal((await verifyChain(asAsync(chain))).ok, true);
  assert.deepEqual(await verifyChain([]), { ok: true, events: 0, lastHash: GENESIS });
  // Batches (arrays) as a DB reader would yield pages, sync and async, and mixed with single events.
  const pages = [chain.slice(0, 7), chain.slice(7, 30), [], chain.slice(30)];
  assert.deepEqual(await verifyChain(pages), { ok: true, events: 50, lastHash: chain[49]!.hash });
  assert.deepEqual(await verifyChain(asAsync<AuditEvent | AuditEvent[]>([chain[0]!, chain.slice(1, 20), ...chain.slice(20)])),
    { ok: true, events: 50, lastHash: chain[49]!.hash });
  const badPages = clone(chain);
  badPages[33]!.outcome = 'refused';
  assert.deepEqual((await verifyChain(asAsync([badPages.slice(0, 30), badPages.slice(30)]))).firstBroken,
    { seq: 34, reason: 'hash mismatch: event was edited' });
  // A suffix verifies from a trusted point.
  const tail = await verifyChain(chain.slice(20), { startSeq: 21, startPrevHash: chain[19]!.hash });
  assert.equal(tail.ok, true);
  assert.equal(tail.events, 30);
});

test('nextEvent normalises detail through JSON and rejects missing fields', () => {
  const e = nextEvent(null, { actor: 'a', action: 'x', outcome: 'ok', detail: { keep: 1, drop: undefined, when: new Date(0), z: -0 } });
  assert.deepEqual(e.detail, { keep: 1, when: '1970-01-01T00:00:00.000Z', z: 0 });
  assert.equal(e.hash, eventHash(JSON.parse(JSON.stringify(e))));
  assert.throws(() => nextEvent(null, { actor: '', action: 'x', outcome: 'ok' }), TypeError);
  assert.throws(() => nextEvent(null, { actor: 'a', action: 'x', outcome: 'ok', detail: { s: 'bad\ud800' } }), JcsError);
});

const clone = (xs: AuditEvent[]) => xs.map((e) => ({ ...e, detail: e.detail === null ? null : structuredClone(e.detail) }));

test('tampering with any field of an event names that event', async () => {
  const chain = buildChain(12);
  const edits: Array<[string, (e: AuditEvent) => void]> = [
    ['time', (e) => { e.time = '2025-01-01T00:00:00.001Z'; }],
    ['actor', (e) => { e.actor = 'mallory'; }],
    ['action', (e) => { e.action = 'erase'; }],
    ['target', (e) => { e.target = 'asset:other'; }],
    ['target null', (e) => { e.target = null; }],
    ['purpose', (e) => { e.purpose = 'something else'; }],
    ['outcome', (e) => { e.outcome = 'refused'; }],
    ['detail value', (e) => { (e.detail as Record<string, unknown>).results = 999; }],
    ['detail removed', (e) => { e.detail = null; }],
  ];
  for (const [name, edit] of edits) {
    const c = clone(chain);
    edit(c[7]!);
    const r = await verifyChain(c);
    assert.equal(r.ok, false, name);
    assert.deepEqual(r.firstBroken, { seq: 8, reason: 'hash mismatch: event was edited' }, name);
    assert.equal(r.events, 7, name);
  }
  // Editing and re-hashing one event moves the break to the next link.
  const c = clone(chain);
  c[7]!.actor = 'mallory';
  c[7]!.hash = eventHash(c[7]!);
  const r = await verifyChain(c);
  assert.equal(r.firstBroken?.seq, 9);
  assert.match(r.firstBroken!.reason, /^chain broken: prevHash does not match event 8/);
  // Editing prevHash itself.
  const p = clone(chain);
  p[3]!.prevHash = GENESIS;
  assert.deepEqual((await verifyChain(p)).firstBroken, { seq: 4, reason: 'hash mismatch: event was edited' });
  // Editing seq (renumbering).
  const s = clone(chain);
  s[5]!.seq = 7;
  assert.deepEqual((await verifyChain(s)).firstBroken, { seq: 6, reason: 'sequence gap: event 6 missing' });
});

test('deleted rows are named as a sequence gap', async () => {
  const chain = buildChain(12);
  assert.deepEqual((await verifyChain(chain.filter((e) => e.seq !== 5))).firstBroken, { seq: 5, reason: 'sequence gap: event 5 missing' });
  assert.deepEqual((await verifyChain(chain.filter((e) => e.seq < 4 || e.seq > 6))).firstBroken, { seq: 4, reason: 'sequence gap: events 4..6 missing' });
  assert.deepEqual((await verifyChain(chain.slice(1))).firstBroken, { seq: 1, reason: 'sequence gap: event 1 missing' });
});

test('reordered rows are detected, whether or not seq moved with them', async () => {
  const chain = buildChain(12);
  // Rows delivered in the wrong order (seq swapped with the rows).
  const a = clone(chain);
  [a[4], a[5]] = [a[5]!, a[4]!];
  assert.deepEqual((await verifyChain(a)).firstBroken, { seq: 5, reason: 'sequence gap: event 5 missing' });
  // Contents swapped but seq numbers left in place: the hash covers seq.
  const b = clone(chain);
  [b[4], b[5]] = [{ ...b[5]!, seq: 5 }, { ...b[4]!, seq: 6 }];
  assert.deepEqual((await verifyChain(b)).firstBroken, { seq: 5, reason: 'hash mismatch: event was edited' });
  // Swapped and fully re-hashed with correct seq: the chain link still breaks after the swap.
  const c = clone(chain);
  const e5 = { ...c[5]!, seq: 5, prevHash: c[3]!.hash };
  e5.hash = eventHash(e5);
  const e6 = { ...c[4]!, seq: 6, prevHash: e5.hash };
  e6.hash = eventHash(e6);
  c[4] = e5;
  c[5] = e6;
  const r = await verifyChain(c);
  assert.equal(r.firstBroken?.seq, 7);
  assert.match(r.firstBroken!.reason, /^chain broken/);
  // A duplicated row.
  const d = clone(chain);
  d.splice(3, 0, d[2]!);
  assert.match((await verifyChain(d)).firstBroken!.reason, /^out of order: event 3 comes after event 3/);
});

test('malformed rows (e.g. seq as a string from an int8 column) are reported, not thrown', async () => {
  const chain = clone(buildChain(3));
  (chain[1] as unknown as Record<string, unknown>).seq = '2';
  assert.deepEqual((await verifyChain(chain)).firstBroken, { seq: 2, reason: 'malformed event: seq is not a positive integer' });
  const c2 = clone(buildChain(3));
  c2[2]!.hash = c2[2]!.hash.toUpperCase();
  assert.match((await verifyChain(c2)).firstBroken!.reason, /hash is not 64 lowercase hex/);
});
