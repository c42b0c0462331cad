// Ingest status per analyser, live from /events (server-sent), with failures and the ETA.
import { useEffect, useState } from 'preact/hooks';

export function Status() {
  const [st, setSt] = useState<any>(null);
  const [live, setLive] = useState(false);
  useEffect(() => {
    const es = new EventSource('/api/v1/events');
    es.addEventListener('status', (e) => { setSt(JSON.parse((e as MessageEvent).data)); setLive(true); });
    es.onerror = () => setLive(false);
    return () => es.close();
  }, []);
  if (!st) return <p role="status">Connecting…</p>;
  const rows = Object.entries<any>(st.analysers);
  const pending = rows.reduce((n, [, c]) => n + c.queued + c.running, 0);
  return (
    <section aria-labelledby="st-title">
      <h1 id="st-title">Ingest status</h1>
      <p role="status">{pending ? `${pending} analyses to go, about ${Math.ceil(st.etaSeconds)} s` : 'Everything is analysed.'} {live ? '' : '(reconnecting…)'}</p>
      <table>
        <thead><tr><th scope="col">Analyser</th><th scope="col">Progress</th><th scope="col">Queued</th><th scope="col">Running</th><th scope="col">Done</th><th scope="col">Skipped</th><th scope="col">Failed</th></tr></thead>
        <tbody>
          {rows.map(([id, c]) => {
            const total = c.queued + c.running + c.done + c.skipped + c.failed;
            const settled = c.done + c.skipped + c.failed;
            return (
              <tr><th scope="row">{id}</th><td><progress max={total || 1} value={settled} aria-label={`${id}: ${settled} of ${total}`} /></td>
                <td>{c.queued}</td><td>{c.running}</td><td>{c.done}</td><td>{c.skipped}</td><td class={c.failed ? 'st-failed' : ''}>{c.failed}</td></tr>
            );
          })}
        </tbody>
      </table>
      {st.failures.length ? (
        <section aria-labelledby="fail-title">
          <h2 id="fail-title">Failures</h2>
          <ul>{st.failures.map((f: any) => <li><a href={`#/asset/${f.assetId}`}>{f.path || f.assetId}</a> — {f.analyser}: {f.error}</li>)}</ul>
        </section>
      ) : null}
    </section>
  );
}
