// For auditors: the audit log with filters, chain verification, and the transparency report's figures
// drawn as simple bar charts (the printable report is one link away).
import { useEffect, useState } from 'preact/hooks';
import { api, fmtBytes } from '../api.ts';
import { ErrorNote } from '../ui.tsx';

function Bars({ title, data, unit }: { title: string; data: Record<string, number>; unit?: (n: number) => string }) {
  const entries = Object.entries(data).sort((a, b) => (a[0] < b[0] ? -1 : 1));
  const max = Math.max(1, ...entries.map(([, n]) => n));
  if (!entries.length) return null;
  return (
    <figure class="chart">
      <figcaption>{title}</figcaption>
      <table>
        <tbody>{entries.map(([k, n]) => (
          <tr><th scope="row">{k}</th><td><span class="bar" style={{ width: `${(n / max) * 100}%` }} aria-hidden="true" /> {unit ? unit(n) : n}</td></tr>
        ))}</tbody>
      </table>
    </figure>
  );
}

export function Audit() {
  const [events, setEvents] = useState<any[]>([]);
  const [filter, setFilter] = useState({ actor: '', action: '' });
  const [verify, setVerify] = useState<any>(null);
  const [report, setReport] = useState<any>(null);
  const [error, setError] = useState<unknown>(null);
  const load = (f = filter) => {
    const sp = new URLSearchParams({ limit: '200', ...(f.actor ? { actor: f.actor } : {}), ...(f.action ? { action: f.action } : {}) });
    api(`/audit/log?${sp}`).then((r) => setEvents(r.events.reverse())).catch(setError);
  };
  useEffect(() => { load(); api('/report').then(setReport).catch(setError); }, []);
  const per = (o: Record<string, { count: number; bytes: number }>) => Object.fromEntries(Object.entries(o ?? {}).map(([k, v]) => [k, v.bytes]));
  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title">Audit</h1>
      <ErrorNote error={error} />
      <section aria-labelledby="verify-title">
        <h2 id="verify-title">Integrity</h2>
        <button onClick={() => { setVerify({ running: true }); api('/audit/verify').then(setVerify).catch(setError); }}>Verify the audit log</button>
        {verify && !verify.running ? (
          <p role="status" class={verify.ok ? 'ok' : 'error'}>{verify.ok ? `OK: ${verify.events} events, ${verify.checkpoints} signed checkpoints` : `BROKEN at event ${verify.firstBroken?.seq}: ${verify.firstBroken?.reason}`}</p>
        ) : verify?.running ? <p role="status">Verifying…</p> : null}
      </section>
      {report ? (
        <section aria-labelledby="rep-title">
          <h2 id="rep-title">Transparency report</h2>
          <p>{report.held.count} assets, {fmtBytes(report.held.bytes)} held · {report.exports.count} exports · {report.erasures.count} erasures · {report.holds.active} active holds · {report.refusals.count} refusals · <a href="/api/v1/report?format=html" target="_blank" rel="noopener">printable report</a></p>
          <div class="charts">
            <Bars title="Bytes held by type" data={per(report.held.byType)} unit={fmtBytes} />
            <Bars title="Bytes held by collection" data={per(report.held.byCollection)} unit={fmtBytes} />
            <Bars title="Assets ingested by month" data={Object.fromEntries(Object.entries<any>(report.held.byMonth).map(([k, v]) => [k, v.count]))} />
            <Bars title="Analyses done" data={report.analyses} />
            <Bars title="Exports by purpose" data={report.exports.byPurpose} />
          </div>
          <table>
            <caption>Accesses by month, actor, action and purpose</caption>
            <thead><tr><th scope="col">Month</th><th scope="col">Actor</th><th scope="col">Action</th><th scope="col">Purpose</th><th scope="col">Count</th></tr></thead>
            <tbody>{report.accesses.slice(0, 100).map((a: any) => <tr><td>{a.month}</td><td>{a.actor}</td><td>{a.action}</td><td>{a.purpose ?? '—'}</td><td>{a.count}</td></tr>)}</tbody>
          </table>
        </section>
      ) : null}
      <section aria-labelledby="log-title">
        <h2 id="log-title">Log</h2>
        <form class="row" onSubmit={(e) => { e.preventDefault(); load(); }} aria-label="Filter the log">
          <label for="f-actor">Actor</label><input id="f-actor" value={filter.actor} onInput={(e) => setFilter({ ...filter, actor: (e.target as HTMLInputElement).value })} />
          <label for="f-action">Action</label>
          <select id="f-action" value={filter.action} onChange={(e) => { const f = { ...filter, action: (e.target as HTMLSelectElement).value }; setFilter(f); load(f); }}>
            <option value="">any</option>{['ingest', 'show', 'search', 'export', 'erase', 'hold', 'retention', 'user', 'auth', 'config', 'audit', 'admin'].map((a) => <option>{a}</option>)}
          </select>
          <button type="submit">Filter</button>
        </form>
        <table class="log">
          <thead><tr><th scope="col">#</th><th scope="col">Time</th><th scope="col">Actor</th><th scope="col">Action</th><th scope="col">Target</th><th scope="col">Purpose</th><th scope="col">Outcome</th><th scope="col">Detail</th></tr></thead>
          <tbody>{events.map((e) => (
            <tr class={`out-${e.outcome}`}><td>{e.seq}</td><td>{e.time.slice(0, 19).replace('T', ' ')}</td><td>{e.actor}</td><td>{e.action}</td><td>{e.target ?? ''}</td><td>{e.purpose ?? ''}</td><td>{e.outcome}</td>
              <td><code>{e.detail ? JSON.stringify(e.detail).slice(0, 160) : ''}</code></td></tr>
          ))}</tbody>
        </table>
      </section>
    </section>
  );
}
