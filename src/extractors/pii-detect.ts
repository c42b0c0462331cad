// Personal data in text: e-mail addresses, phone numbers (libphonenumber), IBANs (mod-97), payment
// cards (Luhn), IPv4/IPv6 addresses and caller-supplied patterns. Findings are kinds with UTF-16
// offsets; the matched text is never copied into the result.
// Every built-in pattern is anchored so the regex engine cannot backtrack quadratically on long runs.
import { isIPv4, isIPv6 } from 'node:net';
import type { CountryCode } from 'libphonenumber-js/max';
import { lazyRequire } from '../util/lazy-require.ts';

// Its full metadata is a few megabytes: loaded with the first text that has a phone-number candidate.
const phoneNumbers = lazyRequire<typeof import('libphonenumber-js/max')>('libphonenumber-js/max');

export interface PiiFinding {
  kind: string;
  start: number;
  end: number;
}

export interface PiiPattern {
  kind: string;
  /** A regular expression (source text or RegExp); the global flag is added. */
  pattern: string | RegExp;
}

export interface PiiOptions {
  /** Region for numbers written without a country code (ISO 3166 alpha-2). Default 'US'. */
  defaultCountry?: string;
  /** Cap on findings (a huge spreadsheet of addresses must not make a huge result). */
  maxFindings?: number;
}

// IBAN length per country (ISO 13616 registry).
const IBAN_LENGTH: Record<string, number> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BI: 27, BR: 29, BY: 28, CH: 21, CR: 22, CY: 28,
  CZ: 24, DE: 22, DJ: 27, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18, FK: 18, FO: 18, FR: 27, GB: 22, GE: 22, GI: 23,
  GL: 18, GR: 27, GT: 28, HR: 21, HU: 28, IE: 22, IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30, KW: 30, KZ: 20, LB: 28, LC: 32,
  LI: 21, LT: 20, LU: 20, LV: 21, LY: 25, MC: 27, MD: 24, ME: 22, MK: 19, MN: 20, MR: 27, MT: 31, MU: 30, NI: 28, NL: 18,
  NO: 15, OM: 23, PK: 24, PL: 28, PS: 29, PT: 25, QA: 29, RO: 24, RS: 22, RU: 33, SA: 24, SC: 31, SD: 18, SE: 24, SI: 19,
  SK: 24, SM: 27, SO: 23, ST: 25, SV: 28, TL: 23, TN: 24, TR: 26, UA: 29, VA: 22, VG: 24, XK: 20, YE: 30,
};

export function ibanValid(compact: string): boolean {
  const s = compact.toUpperCase();
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]+$/.test(s) || IBAN_LENGTH[s.slice(0, 2)] !== s.length) return false;
  const r = s.slice(4) + s.slice(0, 4);
  let rem = 0;
  for (const ch of r) {
    const v = ch >= 'A' ? ch.charCodeAt(0) - 55 : ch.charCodeAt(0) - 48;
    rem = v > 9 ? (rem * 100 + v) % 97 : (rem * 10 + v) % 97;
  }
  return rem === 1;
}

export function luhnValid(digits: string): boolean {
  let sum = 0;
  let dbl = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (dbl) { d *= 2; if (d > 9) d -= 9; }
    sum += d;
    dbl = !dbl;
  }
  return sum % 10 === 0;
}

const EMAIL = /(?<![\w.%+-])[\w.%+-]{1,64}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![\w-])/g;
const CARD = /(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d])/g;
// Issuer prefixes of the card networks (Visa, Mastercard, Amex, Diners, Discover, JCB, UnionPay, Maestro).
const CARD_IIN = /^(?:4|5[0-8]|2[2-7]|3[0478]|6)/;
const IBAN_START = /(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?=[ ]?[A-Z0-9])/g;
const IPV4 = /(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\d]|\.\d)/g;
const IPV6 = /(?<![\w:])(?:[0-9A-Fa-f]{1,4}:|:){2,7}(?:[0-9A-Fa-f]{1,4}|:)(?![\w:])/g;

function findIbans(text: string, out: PiiFinding[]): void {
  for (const m of text.matchAll(IBAN_START)) {
    const len = IBAN_LENGTH[m[0].slice(0, 2)];
    if (!len) continue;
    // walk forward collecting len alphanumerics, allowing single spaces between groups
    let i = m.index;
    let compact = '';
    while (i < text.length && compact.length < len) {
      const c = text[i]!;
      if (/[A-Za-z0-9]/.test(c)) { compact += c; i++; }
      else if (c === ' ' && compact.length % 4 === 0 && /[A-Za-z0-9]/.test(text[i + 1] ?? '')) i++;
      else break;
    }
    if (compact.length === len && !/[A-Za-z0-9]/.test(text[i] ?? '') && ibanValid(compact))
      out.push({ kind: 'iban', start: m.index, end: i });
  }
}

function regexFindings(text: string, re: RegExp, kind: string, ok: (s: string) => boolean, out: PiiFinding[]): void {
  for (const m of text.matchAll(re)) if (m[0] && ok(m[0])) out.push({ kind, start: m.index, end: m.index + m[0].length });
}

// Phone-shaped candidates: optional +country, optional (area), then digit groups joined by single
// separators. Each group is maximal digits, so the regex cannot backtrack combinatorially. Every
// candidate is then parsed and validated by libphonenumber (findPhoneNumbersInText over whole texts
// is ~0.4 MB/s; validating candidates is ~50× faster).
const PHONE_CAND = /(?<![\w+.])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,5}\)[ .-]?)?\d{1,12}(?:[ .\/-]\d{1,12}){0,5}(?![\w])/g;
const ISO_DATE = /^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}$/;
const PHONE_MAX_CANDIDATES = 100_000;

function findPhones(text: string, country: CountryCode, out: PiiFinding[]): void {
  let n = 0;
  const cache = new Map<string, boolean>(); // documents repeat their numbers (letterheads, footers)
  for (const m of text.matchAll(PHONE_CAND)) {
    const c = m[0];
    let digits = 0;
    for (let i = 0; i < c.length; i++) if (c.charCodeAt(i) >= 48 && c.charCodeAt(i) <= 57) digits++;
    if (digits < 7 || digits > 15 || ISO_DATE.test(c)) continue;
    if (++n > PHONE_MAX_CANDIDATES) return;
    let ok = cache.get(c);
    if (ok === undefined) {
      ok = phoneNumbers().isValidPhoneNumber(c, country);
      if (cache.size < 50_000) cache.set(c, ok);
    }
    if (ok) out.push({ kind: 'phone', start: m.index, end: m.index + c.length });
  }
}

const PRIORITY: Record<string, number> = { email: 0, iban: 1, card: 2, ip: 3, phone: 4 };

/** Find personal data in `text`. Overlapping built-in findings keep the most specific kind. */
export function detectPii(text: string, extraPatterns: PiiPattern[] = [], opts: PiiOptions = {}): PiiFinding[] {
  const found: PiiFinding[] = [];
  regexFindings(text, EMAIL, 'email', () => true, found);
  findIbans(text, found);
  regexFindings(text, CARD, 'card', (s) => {
    const d = s.replace(/[ -]/g, '');
    return d.length >= 13 && d.length <= 19 && CARD_IIN.test(d) && !/^(\d)\1+$/.test(d) && luhnValid(d);
  }, found);
  regexFindings(text, IPV4, 'ip', (s) => isIPv4(s), found);
  regexFindings(text, IPV6, 'ip', (s) => isIPv6(s) && s !== '::' && /[0-9A-Fa-f]/.test(s), found);
  findPhones(text, (opts.defaultCountry ?? 'US').toUpperCase() as CountryCode, found);

  // drop built-in findings that overlap a more specific one (a card number is not also a phone)
  found.sort((a, b) => PRIORITY[a.kind]! - PRIORITY[b.kind]! || a.start - b.start);
  const kept: PiiFinding[] = []; // non-overlapping, sorted by start
  for (const f of found) {
    let lo = 0;
    let hi = kept.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (kept[mid]!.start < f.start) lo = mid + 1; else hi = mid; }
    const prev = kept[lo - 1];
    const next = kept[lo];
    if ((prev && prev.end > f.start) || (next && next.start < f.end)) continue;
    kept.splice(lo, 0, f);
  }

  for (const p of extraPatterns) {
    const src = p.pattern instanceof RegExp ? p.pattern.source : p.pattern;
    const flags = p.pattern instanceof RegExp ? p.pattern.flags.replace('g', '') : '';
    const re = new RegExp(src, flags + 'g');
    for (const m of text.matchAll(re)) if (m[0]) kept.push({ kind: p.kind, start: m.index, end: m.index + m[0].length });
  }
  kept.sort((a, b) => a.start - b.start || a.end - b.end);
  return opts.maxFindings !== undefined ? kept.slice(0, opts.maxFindings) : kept;
}

/**
 * Redacted copy of `text` for `export --redact pii`. Style 'token' (default) replaces each finding
 * with "[kind]" (e.g. "[email]"): readable, but offsets after it move. Style 'mask' replaces each
 * UTF-16 unit with "█", so the text keeps its length and every other offset (pages, hits) still holds.
 * Overlapping findings are merged.
 */
export function redactPiiText(text: string, findings: PiiFinding[], style: 'token' | 'mask' = 'token'): string {
  const spans = [...findings].filter((f) => f.end > f.start).sort((a, b) => a.start - b.start);
  let out = '';
  let pos = 0;
  for (let i = 0; i < spans.length; i++) {
    const f = spans[i]!;
    let end = f.end;
    while (i + 1 < spans.length && spans[i + 1]!.start < end) end = Math.max(end, spans[++i]!.end);
    if (f.start < pos) continue;
    out += text.slice(pos, f.start) + (style === 'mask' ? '█'.repeat(end - f.start) : `[${f.kind}]`);
    pos = end;
  }
  return out + text.slice(pos);
}
