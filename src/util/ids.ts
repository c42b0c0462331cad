import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'; // Crockford base32, lower case

/** Time-ordered, URL-safe id: 8 chars of milliseconds + 8 random chars. */
export function newId(): string {
  let t = Date.now();
  let head = '';
  for (let i = 0; i < 8; i++) {
    head = ALPHABET[t % 32] + head;
    t = Math.floor(t / 32);
  }
  const r = randomBytes(8);
  let tail = '';
  for (const b of r) tail += ALPHABET[b % 32];
  return head + tail;
}

export function newToken(): string {
  return 'vt_' + randomBytes(24).toString('base64url');
}
