// The transparency report as one self-contained HTML file: no scripts, no external fonts or images, charts
// as inline SVG, plain-language headings for readers who never saw a command line.
import type { Report } from './report.ts';

const esc = (s: unknown) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function bytes(n: number): string {
  const u = ['bytes', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let i = 0;
  while (n >= 1000 && i < u.length - 1) {
    n /= 1000;
    i++;
  }
  return `${i ? n.toFixed(n < 10 ? 1 : 0) : n} ${u[i]}`;
}
const num = (n: number) => n.toLocaleString('en-US');

const COLORS = ['#2f6db5', '#e07b39', '#3a9a5b', '#b0413e', '#7a5aa6', '#8c6d31', '#2a9d9d', '#c2549d'];

/** Horizontal bars, one per item, value written at the end of the bar. */
function hbars(items: { label: string; value: number; text: string }[], title: string): string {
  if (!items.length) return `<p class="empty">Nothing to show yet.</p>`;
  const max = Math.max(...items.map((i) => i.value), 1);
  const rowH = 26;
  const labelW = 170;
  const barW = 420;
  const h = items.length * rowH + 8;
  const rows = items.map((it, i) => {
    const w = Math.max(2, Math.round((it.value / max) * barW));
    const y = 4 + i * rowH;
    return `<text x="${labelW - 8}" y="${y + 17}" text-anchor="end">${esc(it.label.length > 24 ? it.label.slice(0, 23) + '…' : it.label)}</text>` +
      `<rect x="${labelW}" y="${y + 3}" width="${w}" height="${rowH - 8}" rx="3" fill="${COLORS[i % COLORS.length]}"/>` +
      `<text x="${labelW + w + 6}" y="${y + 17}" class="v">${esc(it.text)}</text>`;
  }).join('');
  return `<svg role="img" aria-label="${esc(title)}" viewBox="0 0 ${labelW + barW + 120} ${h}" width="100%" style="max-width:${labelW + barW + 120}px">${rows}</svg>`;
}

/** Vertical columns over months; stacked when `series` has several keys. */
function columns(months: string[], series: { name: string; values: Record<string, number> }[], title: string, fmt: (n: number) => string = num): string {
  if (!months.length) return `<p class="empty">Nothing to show yet.</p>`;
  const W = 700;
  const H = 220;
  const left = 56;
  const bottom = 36;
  const totals = months.map((m) => series.reduce((a, s) => a + (s.values[m] ?? 0), 0));
  const max = Math.max(...totals, 1);
  const step = (W - left - 10) / months.length;
  const bw = Math.max(4, Math.min(48, step * 0.7));
  let out = `<line x1="${left}" y1="${H - bottom}" x2="${W - 5}" y2="${H - bottom}" stroke="#999"/>`;
  for (const f of [0.5, 1]) {
    const y = H - bottom - f * (H - bottom - 14);
    out += `<line x1="${left}" y1="${y}" x2="${W - 5}" y2="${y}" stroke="#e3e3e3"/><text x="${left - 6}" y="${y + 4}" text-anchor="end" class="v">${esc(fmt(Math.round(max * f)))}</text>`;
  }
  months.forEach((m, i) => {
    const x = left + i * step + (step - bw) / 2;
    let y = H - bottom;
    series.forEach((s, si) => {
      const v = s.values[m] ?? 0;
      const hh = (v / max) * (H - bottom - 14);
      y -= hh;
      if (v) out += `<rect x="${x}" y="${y}" width="${bw}" height="${hh}" fill="${COLORS[si % COLORS.length]}"><title>${esc(`${m} ${s.name}: ${fmt(v)}`)}</title></rect>`;
    });
    if (months.length <= 24 || i % Math.ceil(months.length / 24) === 0) out += `<text x="${x + bw / 2}" y="${H - bottom + 16}" text-anchor="middle" class="v">${esc(m)}</text>`;
  });
  const legend = series.length > 1
    ? `<div class="legend">${series.map((s, i) => `<span><i style="background:${COLORS[i % COLORS.length]}"></i>${esc(s.name)}</span>`).join('')}</div>` : '';
  return `<svg role="img" aria-label="${esc(title)}" viewBox="0 0 ${W} ${H}" width="100%" style="max-width:${W}px">${out}</svg>${legend}`;
}

function table(head: string[], rows: unknown[][]): string {
  if (!rows.length) return `<p class="empty">None.</p>`;
  return `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

const ACTION_WORDS: Record<string, string> = {
  show: 'opened an item', search: 'searched', export: 'exported a copy', ingest: 'added items', erase: 'erased items',
  hold: 'placed or lifted a legal hold', retention: 'changed or applied retention', user: 'managed users', config: 'changed settings',
  auth: 'signed in (failed attempts included)', report: 'produced this report',
};

export function renderReportHtml(r: Report, title = 'Vitrine transparency report'): string {
  const months = Object.keys(r.held.byMonth).sort();
  const accessMonths = [...new Set(r.accesses.map((a) => a.month))].sort();
  const actions = [...new Set(r.accesses.map((a) => a.action))].sort();
  const byActor = new Map<string, number>();
  const byPurpose = new Map<string, number>();
  for (const a of r.accesses) {
    if (!['show', 'search', 'export'].includes(a.action)) continue;
    byActor.set(a.actor, (byActor.get(a.actor) ?? 0) + a.count);
    byPurpose.set(a.purpose ?? '(no purpose given)', (byPurpose.get(a.purpose ?? '(no purpose given)') ?? 0) + a.count);
  }
  const reads = [...byActor.values()].reduce((x, y) => x + y, 0);
  const auditLine = r.audit.ok
    ? `<p class="ok">✔ The audit log is intact: all ${num(r.audit.events)} recorded actions check out${r.audit.checkpoints ? `, and so do ${num(r.audit.checkpoints)} signed checkpoint(s)` : ''}.</p>`
    : `<p class="bad">✘ The audit log did NOT check out: ${esc(r.audit.firstBroken?.reason ?? 'unknown problem')}${r.audit.firstBroken?.seq ? ` (first problem at record ${r.audit.firstBroken.seq})` : ''}. Someone may have altered it; ask the administrator to investigate.</p>`;
  const cp = r.audit.lastCheckpoint;
  const kpi = (label: string, value: string) => `<div class="kpi"><b>${esc(value)}</b><span>${esc(label)}</span></div>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)}</title>
<style>
body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d1d1f;max-width:900px;margin:2em auto;padding:0 1em}
h1{font-size:1.8em;margin-bottom:.1em}h2{margin-top:2em;border-bottom:2px solid #eee;padding-bottom:.2em}
.sub{color:#666;margin-top:0}.kpis{display:flex;flex-wrap:wrap;gap:12px;margin:1.5em 0}
.kpi{flex:1 1 150px;background:#f5f7fa;border-radius:8px;padding:12px 16px}.kpi b{display:block;font-size:1.6em}.kpi span{color:#555;font-size:.9em}
svg text{font-size:13px;fill:#333}svg text.v{font-size:11px;fill:#555}
table{border-collapse:collapse;width:100%;font-size:.9em;margin:.5em 0}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #eee}th{background:#fafafa}
.ok{background:#eaf6ee;border-left:4px solid #3a9a5b;padding:.6em 1em}.bad{background:#fbeaea;border-left:4px solid #b0413e;padding:.6em 1em}
.empty{color:#888;font-style:italic}.legend span{margin-right:14px;font-size:.85em}.legend i{display:inline-block;width:10px;height:10px;margin-right:4px;border-radius:2px}
.explain{color:#555;font-size:.95em}code{font-size:.85em;word-break:break-all}
</style></head><body>
<h1>${esc(title)}</h1>
<p class="sub">Produced ${esc(r.generatedAt.replace('T', ' ').slice(0, 16))} UTC from the archive's own records.</p>
<div class="kpis">${kpi('items held', num(r.held.count))}${kpi('total size', bytes(r.held.bytes))}${kpi('times items were opened, searched or exported', num(reads))}${kpi('items erased', num(r.erasures.count))}${kpi('legal holds in force', num(r.holds.active))}</div>
${auditLine}

<h2>What the archive holds</h2>
<p class="explain">Every file kept, by kind of file and by collection (a collection is a group of files kept for one purpose).</p>
<h3>By kind of file</h3>${hbars(Object.entries(r.held.byType).map(([k, v]) => ({ label: k, value: v.bytes, text: `${num(v.count)} · ${bytes(v.bytes)}` })), 'size by type')}
<h3>By collection</h3>${hbars(Object.entries(r.held.byCollection).map(([k, v]) => ({ label: k, value: v.bytes, text: `${num(v.count)} · ${bytes(v.bytes)}` })), 'size by collection')}
<h3>Growth: files added each month</h3>${columns(months, [{ name: 'files added', values: Object.fromEntries(months.map((m) => [m, r.held.byMonth[m]!.count])) }], 'files added per month')}

<h2>What was extracted from it</h2>
<p class="explain">The archive reads text, pictures and sound automatically, on its own machines. Each bar counts the files one kind of analysis was completed for.</p>
${hbars(Object.entries(r.analyses).sort((a, b) => b[1] - a[1]).map(([k, v]) => ({ label: k, value: v, text: num(v) })), 'analyses per analyser')}

<h2>Who used it, and why</h2>
<p class="explain">Every action is recorded with the person who did it and the purpose they gave. The chart shows all recorded actions per month.</p>
${columns(accessMonths, actions.map((act) => ({ name: ACTION_WORDS[act] ?? act, values: Object.fromEntries(r.accesses.filter((a) => a.action === act).reduce((m, a) => m.set(a.month, (m.get(a.month) ?? 0) + a.count), new Map<string, number>())) })), 'actions per month')}
<h3>Opening, searching and exporting, by person</h3>${hbars([...byActor].sort((a, b) => b[1] - a[1]).slice(0, 20).map(([k, v]) => ({ label: k, value: v, text: num(v) })), 'reads by actor')}
<h3>… and by the purpose given</h3>${hbars([...byPurpose].sort((a, b) => b[1] - a[1]).slice(0, 20).map(([k, v]) => ({ label: k, value: v, text: num(v) })), 'reads by purpose')}
<p class="explain">Requests the archive refused (no permission, no purpose or a purpose not allowed, legal hold): <b>${num(r.refusals.count)}</b>.</p>
<details><summary>Full table (month, person, action, purpose)</summary>${table(['month', 'person', 'action', 'purpose', 'times'], r.accesses.map((a) => [a.month, a.actor, a.action, a.purpose ?? '—', a.count]))}</details>

<h2>Copies that left the archive</h2>
<p class="explain">Exports are copies handed out (possibly with faces or personal data blurred).</p>
<p>${num(r.exports.count)} export(s).</p>${hbars(Object.entries(r.exports.byPurpose).map(([k, v]) => ({ label: k, value: v, text: num(v) })), 'exports by purpose')}

<h2>What was erased</h2>
<p class="explain">When an item is erased, the file, everything made from it and its searchable text are destroyed. The record keeps only that it existed, its fingerprint (sha256) and why it was erased.</p>
${table(['when', 'item', 'by', 'reason'], r.erasures.recent.map((e) => [e.time.slice(0, 16).replace('T', ' '), e.id, e.actor, e.reason ?? '']))}

<h2>Legal holds</h2>
<p class="explain">Items under legal hold cannot be erased, neither by hand nor when their retention period ends, until the hold is lifted.</p>
${table(['on', 'what', 'why', 'since', 'by'], r.holds.items.map((h) => [h.kind, h.target, h.reason, h.setAt.slice(0, 10), h.setBy]))}

<h2>How long things are kept</h2>
${table(['collection', 'kept for', 'items', 'due for erasure now'], r.retention.map((x) => [x.collection, x.retention ?? 'indefinitely', num(x.assets), num(x.due)]))}

<h2>Can these records be trusted?</h2>
<p class="explain">Each record is chained to the one before it by a cryptographic fingerprint, so changing, removing or reordering any record is detectable. At intervals the archive signs a summary of the whole log (a "checkpoint") with a key kept outside its database; these signed checkpoints can be copied elsewhere or published.</p>
${auditLine}
<p>${cp ? `Last signed checkpoint: ${num(cp.treeSize)} records, ${esc(cp.time.replace('T', ' ').slice(0, 16))} UTC.<br>Summary fingerprint <code>${esc(cp.rootHash)}</code>, signing key <code>${esc(cp.publicKey)}</code>.` : 'No signed checkpoint yet.'}</p>
</body></html>
`;
}
