// export: a copy of an asset at a path the user chose — as stored, or with faces / personal data hidden,
// or a caption file from its transcript. Every export (and every failed or refused one) is audited.
// The copy is written next to --out under a temporary name and renamed at the end, so a failure never
// leaves a half-written file at --out; an existing file at --out is replaced (like cp).
import { createWriteStream } from 'node:fs';
import { mkdtemp, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join, relative, resolve, isAbsolute } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { AppError, errorMessage, notFound, usageError } from '../errors.ts';
import type { AnalysesRepo } from '../repositories/analyses.ts';
import type { AssetRow, AssetsRepo } from '../repositories/assets.ts';
import type { BlobStore } from '../storage/blob-store.ts';
import type { AccessPolicy } from './access.ts';
import type { Actor, AuditService } from './audit.ts';
import { redactImage, parseRedactionBoxes, mergeRedactionBoxes, type Box, type RedactionSpec, iou } from '../engines/redact-image.ts';
import { redactVideo, type TimedBox } from '../engines/redact-video.ts';
import { detectFaces } from '../engines/human.ts';
import { toSrt, toVtt, type CaptionSegment } from '../engines/captions.ts';
import { findPair, listPairs, translateSegments } from '../engines/apertium.ts';
import { detectPii, redactPiiText } from '../extractors/pii-detect.ts';
import { piiConfigFromEnv } from '../analysers/pii.ts';
import { ocrImageFile } from '../analysers/ocr.ts';
import { documentText, type DocumentTextResult } from '../analysers/document-text.ts';
import { redactPdf } from './export-pdf.ts';
import type { AnalysisTarget, AssetType } from '../analysers/types.ts';

export type RedactKind = 'faces' | 'pii' | 'all';

export interface ExportRequest {
  /** The user's own path; relative paths are taken from the current directory. */
  out: string;
  redact?: RedactKind | null;
  /** Parsed JSON of a boxes file: [{box, start?, end?}] and {remove:[box]} items. */
  boxes?: unknown;
  captions?: 'vtt' | 'srt' | null;
  /** Caption language (ISO 639-1); default: the transcript's own. */
  lang?: string | null;
  purpose?: string | null;
}

export interface ExportResponse {
  out: string;
  bytes: number;
  redacted: { faces?: number; pii?: number };
}

interface Produced {
  format: string;
  redacted: ExportResponse['redacted'];
  extra?: Record<string, unknown>;
}

const VIDEO_OUT = new Set(['.mp4', '.m4v', '.mov', '.mkv']);
/** Redacted documents are plain text: refuse names that promise another format. */
const NOT_TEXT_OUT = new Set(['.pdf', '.docx', '.doc', '.odt', '.rtf', '.eml', '.zip', '.xlsx', '.pptx']);

interface Segment { start: number; end: number; text: string }
interface TranscriptDep { language?: string; segments?: Segment[] }
interface TranslationDep { from?: string; to?: string; segments?: Segment[] }
interface OcrLineDep { text: string; box: Box; start?: number; end?: number }

export interface ExportDeps {
  assets: AssetsRepo;
  analyses: AnalysesRepo;
  blobs: BlobStore;
  access: AccessPolicy;
  audit: AuditService;
  /** DATA/tmp: scratch space for frames and extraction. */
  tmpDir: string;
  dataDir: string;
  translateTo: string;
}

export class ExportService {
  private readonly d: ExportDeps;
  constructor(d: ExportDeps) {
    this.d = d;
  }

  async export(id: string, actor: Actor, req: ExportRequest): Promise<ExportResponse> {
    const spec = checkRequest(req);
    const purpose = req.purpose ?? null;
    const a = await this.d.assets.get(id);
    if (!a) {
      await this.d.audit.record({ actor: actor.name, action: 'export', target: id, purpose, outcome: 'not_found', detail: null });
      throw notFound(`asset ${id}`);
    }
    await this.d.access.check(actor, 'export', a.collection, purpose, a.id);
    const out = await this.checkOut(req.out);
    const partial = join(dirname(out), `.${basename(out, extname(out))}.vitrine-${randomBytes(4).toString('hex')}${extname(out)}`);
    const work = await mkdtemp(join(this.d.tmpDir, 'export-'));
    const base = { actor: actor.name, action: 'export', target: a.id, purpose };
    try {
      const p = await this.produce(a, req, spec, partial, work);
      await rename(partial, out);
      const bytes = (await stat(out)).size;
      await this.d.audit.record({
        ...base, outcome: 'ok',
        detail: { redact: req.redact ?? (spec ? 'boxes' : null), bytes, format: p.format, ...p.redacted, ...(p.extra ?? {}) },
      });
      return { out, bytes, redacted: p.redacted };
    } catch (e) {
      await rm(partial, { force: true });
      await this.d.audit.record({ ...base, outcome: 'failed', detail: { redact: req.redact ?? null, error: errorMessage(e).slice(0, 500) } });
      throw e;
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }

  /** --out must name a file in an existing directory, outside the data directory. */
  private async checkOut(out: string): Promise<string> {
    if (!out) throw usageError('export needs --out FILE');
    const abs = resolve(out);
    const st = await stat(abs).catch(() => null);
    if (st?.isDirectory()) throw usageError(`--out ${out} is a directory; give a file name`);
    let dir: string;
    try {
      dir = await realpath(dirname(abs));
    } catch {
      throw usageError(`--out ${out}: the directory ${dirname(abs)} does not exist`);
    }
    const data = await realpath(this.d.dataDir).catch(() => resolve(this.d.dataDir));
    const rel = relative(data, dir);
    if (rel === '' || (!rel.startsWith('..') && !isAbsolute(rel))) throw usageError(`--out ${out} is inside the data directory; export to a path outside it`);
    return join(dir, basename(abs));
  }

  private async produce(a: AssetRow, req: ExportRequest, spec: RedactionSpec | null, partial: string, work: string): Promise<Produced> {
    if (req.captions) return this.captions(a, req.captions, req.lang ?? null, partial);
    const redact = req.redact ?? null;
    if (!redact && !spec) {
      await pipeline(await this.d.blobs.get(a.sha256), createWriteStream(partial));
      return { format: 'original', redacted: {} };
    }
    const local = await this.d.blobs.localPath(a.sha256);
    try {
      if (a.type === 'image') return await this.image(a, local.path, redact, spec, partial, work);
      if (a.type === 'video') return await this.video(a, local.path, redact, spec, partial, work);
      if (spec) throw usageError(`--boxes applies to images and video; ${a.id} is ${article(a.type)}`);
      if (redact === 'faces') throw usageError(`faces can be hidden in images and video; ${a.id} is ${article(a.type)} (try --redact pii)`);
      if (a.type === 'document' || a.type === 'email' || a.type === 'other') return await this.text(a, local.path, partial, work);
      throw usageError(`nothing to redact in ${article(a.type)}: --redact applies to images, video and text documents`);
    } finally {
      await local.release();
    }
  }

  private async image(a: AssetRow, path: string, redact: RedactKind | null, spec: RedactionSpec | null, partial: string, work: string): Promise<Produced> {
    const s = spec ?? { add: [], remove: [] };
    let faces: { box: Box; score: number }[] = [];
    if (redact === 'faces' || redact === 'all') {
      const done = (await this.d.analyses.results(a.sha256, ['faces'])).faces as { faces?: { box: Box; score: number }[] } | undefined;
      faces = done?.faces ?? (await detectFaces(path, { tiles: true }));
    }
    const kept = mergeRedactionBoxes(faces, { add: [], remove: s.remove });
    const redacted: Produced['redacted'] = {};
    if (redact === 'faces' || redact === 'all') redacted.faces = kept.length;
    const boxes: Box[] = [...kept.map((k) => k.box), ...s.add.map((b) => b.box)];
    let textBoxes: Box[] = [];
    if (redact === 'pii' || redact === 'all') {
      const done = (await this.d.analyses.results(a.sha256, ['ocr'])).ocr as { lines?: OcrLineDep[] } | undefined;
      const lines = done?.lines ?? (await ocrImageFile(path, ocrLangOf(a))).lines;
      const hits = piiLines(lines).filter((l) => !s.remove.some((r) => iou(l.box, r) > 0.5));
      redacted.pii = hits.reduce((n, l) => n + l.findings, 0);
      textBoxes = hits.map((l) => padBox(l.box, Math.max(3, Math.round(l.box[3] * 0.25))));
    }
    // Faces get a margin relative to their size; a line of text only a few pixels (its margin would
    // otherwise grow with the line's length and cover the lines around it): two passes when both.
    if (textBoxes.length && boxes.length) {
      const mid = join(work, 'text-redacted');
      await redactImage(path, mid, textBoxes, { margin: 0 });
      const r = await redactImage(mid, partial, boxes);
      return { format: r.format, redacted, extra: { boxes: boxes.length + textBoxes.length } };
    }
    const r = textBoxes.length ? await redactImage(path, partial, textBoxes, { margin: 0 }) : await redactImage(path, partial, boxes);
    return { format: r.format, redacted, extra: { boxes: boxes.length + textBoxes.length } };
  }

  private async video(a: AssetRow, path: string, redact: RedactKind | null, spec: RedactionSpec | null, partial: string, work: string): Promise<Produced> {
    const ext = extname(partial).toLowerCase();
    if (!VIDEO_OUT.has(ext)) throw usageError(`a redacted video is H.264: --out must end in ${[...VIDEO_OUT].join(', ')}`);
    const s = spec ?? { add: [], remove: [] };
    const wantFaces = redact === 'faces' || redact === 'all';
    const boxes: TimedBox[] = [...s.add];
    const redacted: Produced['redacted'] = {};
    if (redact === 'pii' || redact === 'all') {
      // On-screen text found by the video-vision analyser; no OCR of the whole video here.
      const vv = (await this.d.analyses.results(a.sha256, ['video-vision']))['video-vision'] as { ocr?: { lines?: OcrLineDep[] } } | undefined;
      if (!vv) throw new AppError('E_NOT_ANALYSED', `${a.id} has no on-screen text yet (analyser video-vision not done); run "vitrine work" first or use --redact faces`, 'failure');
      const hits = piiLines(vv.ocr?.lines ?? []).filter((l) => !s.remove.some((r) => iou(l.box, r) > 0.5));
      redacted.pii = hits.reduce((n, l) => n + l.findings, 0);
      boxes.push(...hits.map((l) => ({ box: l.box, ...(l.start !== undefined ? { start: l.start } : {}), ...(l.end !== undefined ? { end: l.end } : {}) })));
    }
    const detect = wantFaces
      ? async (frame: string) => (await detectFaces(frame, { tiles: true })).filter((f) => !s.remove.some((r) => iou(f.box, r) > 0.5))
      : undefined;
    const r = await redactVideo(path, partial, { tmpDir: work, ...(detect ? { detect } : {}), boxes });
    if (wantFaces) redacted.faces = Math.max(0, r.tracks - boxes.length);
    return { format: ext.slice(1), redacted, extra: { samples: r.samples, detections: r.detections, boxes: boxes.length } };
  }

  private async text(a: AssetRow, path: string, partial: string, work: string): Promise<Produced> {
    const ext = extname(partial).toLowerCase();
    if (ext === '.pdf' && a.mime === 'application/pdf') {
      const cfg = piiConfigFromEnv();
      const r = await redactPdf(path, partial, work, { ...(cfg.patterns ? { patterns: cfg.patterns } : {}), ...(cfg.defaultCountry ? { defaultCountry: cfg.defaultCountry } : {}) });
      return { format: 'pdf', redacted: { pii: r.pii }, extra: { pages: r.pages, rasterised: true } };
    }
    if (NOT_TEXT_OUT.has(ext))
      throw usageError(`a document with personal data removed is exported as plain text (or, for a PDF, as a PDF of page images): give --out a .txt name${a.mime === 'application/pdf' ? ' or a .pdf name' : ''}, not ${ext}`);
    let doc = (await this.d.analyses.results(a.sha256, ['document-text']))['document-text'] as DocumentTextResult | undefined;
    if (!doc) {
      const target: AnalysisTarget = { sha256: a.sha256, type: a.type as AssetType, mime: a.mime, size: a.size, name: a.name };
      if (!documentText.accepts(target)) throw new AppError('E_NO_TEXT', `no text can be extracted from ${a.mime}`, 'failure');
      const ac = new AbortController();
      doc = (await documentText.run({ ...target, path, deps: {}, options: ocrLangOf(a) },
        { log: pino({ level: 'silent' }), tmpDir: work, signal: ac.signal })).result;
    }
    const cfg = piiConfigFromEnv();
    const opts = cfg.defaultCountry ? { defaultCountry: cfg.defaultCountry } : {};
    // Page by page (pages separated by form feeds, as pdftotext does), so findings never straddle pages.
    const parts = doc.pages?.length ? doc.pages.map((p) => p.text) : [doc.text];
    let pii = 0;
    const redactedParts = parts.map((t) => {
      const f = detectPii(t, cfg.patterns, opts);
      pii += f.length;
      return redactPiiText(t, f, 'token');
    });
    await writeFile(partial, redactedParts.join('\n\f'), 'utf8');
    return { format: 'txt', redacted: { pii } };
  }

  private async captions(a: AssetRow, kind: 'vtt' | 'srt', lang: string | null, partial: string): Promise<Produced> {
    if (a.type !== 'video' && a.type !== 'audio') throw usageError(`captions come from speech: ${a.id} is ${article(a.type)}`);
    const deps = await this.d.analyses.results(a.sha256, ['transcript', 'translation']);
    const tr = deps.transcript as TranscriptDep | undefined;
    if (!tr?.segments) {
      const rows = await this.d.analyses.forSha(a.sha256);
      const row = rows.find((r) => r.analyser === 'transcript');
      const why = row ? `transcript is ${row.status}${row.error ? `: ${row.error}` : ''}` : 'no transcript was made';
      throw new AppError('E_NO_TRANSCRIPT', `no captions for ${a.id}: ${why}`, 'failure');
    }
    const from = tr.language && tr.language !== 'und' ? tr.language : null;
    const want = lang?.toLowerCase() ?? null;
    let segments: CaptionSegment[] = tr.segments;
    let language = from ?? 'und';
    if (want && want !== from) {
      const t = deps.translation as TranslationDep | undefined;
      if (t?.to === want && t.segments) segments = t.segments;
      else {
        if (!from) throw new AppError('E_NO_LANGUAGE', 'the language of the transcript is unknown, so it cannot be translated', 'failure');
        if (!(await findPair(from, want))) {
          const pairs = (await listPairs()).filter((p) => p.from === from).map((p) => p.to);
          throw new AppError('E_UNSUPPORTED_LANGUAGE',
            `no Apertium translation from ${from} to ${want} is installed${pairs.length ? `; available from ${from}: ${pairs.join(', ')}` : ''}`, 'failure');
        }
        segments = await translateSegments(from, want, tr.segments);
      }
      language = want;
    }
    await writeFile(partial, kind === 'vtt' ? toVtt(segments) : toSrt(segments), 'utf8');
    return { format: kind, redacted: {}, extra: { captions: kind, lang: language, cues: segments.length } };
  }
}

function checkRequest(req: ExportRequest): RedactionSpec | null {
  if (req.redact != null && !['faces', 'pii', 'all'].includes(req.redact)) throw usageError('--redact must be faces, pii or all');
  if (req.captions != null && !['vtt', 'srt'].includes(req.captions)) throw usageError('--captions must be vtt or srt');
  if (req.lang != null && !req.captions) throw usageError('--lang chooses the caption language: use it with --captions');
  if (req.lang != null && !/^[a-z]{2}$/i.test(req.lang)) throw usageError('--lang must be an ISO 639-1 code such as en');
  if (req.captions && (req.redact || req.boxes !== undefined)) throw usageError('--captions writes a caption file: it cannot be combined with --redact or --boxes');
  return req.boxes === undefined || req.boxes === null ? null : parseRedactionBoxes(req.boxes);
}

/** OCR lines that contain personal data, with how many findings each holds. */
function piiLines(lines: OcrLineDep[]): Array<OcrLineDep & { findings: number }> {
  const cfg = piiConfigFromEnv();
  const opts = cfg.defaultCountry ? { defaultCountry: cfg.defaultCountry } : {};
  return lines.map((l) => ({ ...l, findings: detectPii(l.text, cfg.patterns, opts).length })).filter((l) => l.findings > 0);
}

function ocrLangOf(a: AssetRow): { ocrLang?: string[] } {
  const l = a.options?.ocrLang;
  return Array.isArray(l) ? { ocrLang: l as string[] } : {};
}

const padBox = (b: Box, m: number): Box => [Math.max(0, b[0] - m), Math.max(0, b[1] - m), b[2] + 2 * m, b[3] + 2 * m];

const article = (t: string) => (/^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`);
