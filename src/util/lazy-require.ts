// Heavy npm modules loaded on first use, synchronously (they ship CommonJS): `vitrine serve` and short
// commands (search, status) never pay for an image codec or parsers they do not run (~20 MB resident).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export function lazyRequire<T>(id: string): () => T {
  let m: T | undefined;
  return () => (m ??= require(id) as T);
}
