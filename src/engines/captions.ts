// WebVTT and SubRip captions from timed segments (a transcript or its translation). Lines are wrapped at
// ~42 characters, at most two lines per cue; a longer segment becomes several cues sharing its time span
// in proportion to their length. Cues are sorted and never overlap.

export interface CaptionSegment {
  start: number;
  end: number;
  text: string;
}

export interface CaptionOptions {
  maxLineChars?: number;
  maxLines?: number;
}

interface Cue {
  start: number;
  end: number;
  lines: string[];
}

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

/** 3723.5 → "01:02:03.500" (sep '.') or "01:02:03,500" (sep ','). */
export function formatTimestamp(seconds: number, sep: '.' | ','): string {
  const ms = Math.max(0, Math.round(seconds * 1000));
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = Math.floor((ms % 60_000) / 1000);
  return `${pad(h)}:${pad(m)}:${pad(s)}${sep}${pad(ms % 1000, 3)}`;
}

/** Greedy word wrap; a word longer than the line is cut. */
export function wrapText(text: string, max: number): string[] {
  const lines: string[] = [];
  let cur = '';
  for (let word of text.split(/\s+/).filter(Boolean)) {
    while (word.length > max) {
      if (cur) {
        lines.push(cur);
        cur = '';
      }
      lines.push(word.slice(0, max));
      word = word.slice(max);
    }
    if (!cur) cur = word;
    else if (cur.length + 1 + word.length <= max) cur += ' ' + word;
    else {
      lines.push(cur);
      cur = word;
    }
  }
  if (cur) lines.push(cur);
  return lines;
}

function toCues(segments: CaptionSegment[], opts: CaptionOptions): Cue[] {
  const maxChars = opts.maxLineChars ?? 42;
  const maxLines = opts.maxLines ?? 2;
  const sorted = segments
    .filter((s) => Number.isFinite(s.start) && Number.isFinite(s.end) && s.text && s.text.trim())
    .map((s) => ({ start: Math.max(0, s.start), end: Math.max(s.start, s.end), text: s.text.replace(/\s+/g, ' ').trim() }))
    .sort((a, b) => a.start - b.start);
  const cues: Cue[] = [];
  for (const s of sorted) {
    const lines = wrapText(s.text, maxChars);
    const groups: string[][] = [];
    for (let i = 0; i < lines.length; i += maxLines) groups.push(lines.slice(i, i + maxLines));
    const total = lines.join('').length || 1;
    let t = s.start;
    for (const g of groups) {
      const share = ((s.end - s.start) * g.join('').length) / total;
      cues.push({ start: t, end: t + share, lines: g });
      t += share;
    }
  }
  for (let i = 0; i < cues.length; i++) {
    const c = cues[i]!;
    const next = cues[i + 1];
    if (next && c.end > next.start) c.end = next.start;
    // A segment without duration is shown for up to a second (until the next cue).
    if (c.end <= c.start) c.end = Math.min(c.start + 1, next ? next.start : Infinity);
  }
  return cues.filter((c) => c.end > c.start);
}

/** Escapes cue text for WebVTT: &, < and > (so "-->" and tags cannot appear). */
export function escapeVtt(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function toVtt(segments: CaptionSegment[], opts: CaptionOptions = {}): string {
  const out = ['WEBVTT', ''];
  for (const c of toCues(segments, opts)) {
    out.push(`${formatTimestamp(c.start, '.')} --> ${formatTimestamp(c.end, '.')}`, ...c.lines.map(escapeVtt), '');
  }
  return out.join('\n');
}

/** SubRip has no escaping; markup-like text and arrows are neutralised so players show it as written. */
function cleanSrt(s: string): string {
  return s.replace(/-->/g, '->').replace(/</g, '‹').replace(/>/g, '›').replace(/\{/g, '(').replace(/\}/g, ')');
}

export function toSrt(segments: CaptionSegment[], opts: CaptionOptions = {}): string {
  const out: string[] = [];
  toCues(segments, opts).forEach((c, i) => {
    out.push(String(i + 1), `${formatTimestamp(c.start, ',')} --> ${formatTimestamp(c.end, ',')}`, ...c.lines.map(cleanSrt), '');
  });
  return out.join('\n');
}
