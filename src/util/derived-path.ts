// Where a derived file lives, relative to DATA/derived: by content hash, so identical files share it
// and erasure of content removes a whole folder.
import type { DerivedFile } from '../analysers/types.ts';

export function derivedRelPath(sha256: string, analyser: string, d: Pick<DerivedFile, 'kind' | 'ext' | 'time' | 'page'>): string {
  const suffix = d.page !== undefined ? `-p${d.page}` : d.time !== undefined ? `-t${Math.round(d.time * 1000)}` : '';
  return `${sha256.slice(0, 2)}/${sha256}/${analyser}-${d.kind}${suffix}.${d.ext.replace(/^\./, '')}`;
}
