import { readFile } from 'node:fs/promises';
import type { Container } from '../../container.ts';
import { usageError } from '../../errors.ts';
import type { Parsed } from '../args.ts';
import { fmtBytes, type Out } from '../output.ts';
import type { Actor } from '../../services/audit.ts';
import type { ExportRequest, RedactKind } from '../../services/export.ts';

export const flags = { out: 'string', redact: 'string', boxes: 'string', captions: 'string', lang: 'string', purpose: 'string' } as const;

export const help = 'export ASSET --out FILE [--redact faces|pii|all] [--boxes FILE.json] [--captions vtt|srt] [--lang L] [--purpose P]';

export async function exportCommand(c: Container, a: Parsed, out: Out, actor: Actor): Promise<number> {
  const id = a.positionals[0];
  if (!id || a.positionals.length > 1) throw usageError('export needs one asset id: vitrine export ASSET --out FILE');
  if (typeof a.flags.out !== 'string' || !a.flags.out) throw usageError('export needs --out FILE');
  const req: ExportRequest = { out: a.flags.out, purpose: (a.flags.purpose as string | undefined) ?? null };
  if (a.flags.redact !== undefined) req.redact = a.flags.redact as RedactKind;
  if (a.flags.captions !== undefined) req.captions = a.flags.captions as 'vtt' | 'srt';
  if (a.flags.lang !== undefined) req.lang = a.flags.lang as string;
  if (typeof a.flags.boxes === 'string') req.boxes = await readBoxes(a.flags.boxes);
  const r = await c.exporter.export(id, actor, req);
  out.result(r, () => {
    const what = Object.entries(r.redacted).map(([k, n]) => `${n} ${k === 'pii' ? 'personal data item(s)' : 'face(s)'} hidden`).join(', ');
    return `${r.out}  ${fmtBytes(r.bytes)}${what ? `  (${what})` : ''}`;
  });
  return 0;
}

async function readBoxes(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw usageError(`--boxes ${file}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw usageError(`--boxes ${file} is not JSON: ${(e as Error).message}`);
  }
}
