// Search with filters and facets; each hit shows its thumbnail, snippet and where it matched.
import { useEffect, useState } from 'preact/hooks';
import { api, fmtTime, mediaUrl } from '../api.ts';
import { ErrorNote } from '../ui.tsx';

const TYPES = ['image', 'video', 'audio', 'document', 'archive', 'email', 'other'];
const FACETS: [string, string][] = [['type', 'Type'], ['collection', 'Collection'], ['language', 'Language'], ['label', 'Objects'], ['month', 'Ingested']];

/** «marked» words from the API's snippet, rendered as <mark> without any HTML from the text. */
export function Snippet({ text }: { text: string }) {
  const parts = text.split(/«|»/);
  return <>{parts.map((p, i) => (i % 2 ? <mark>{p}</mark> : p))}</>;
}

function where(m: any): string {
  const w: string[] = [m.analyser];
  if (m.page) w.push(`page ${m.page}`);
  if (m.start !== undefined && m.analyser !== 'document-text' && m.analyser !== 'pii') w.push(fmtTime(m.start));
  return w.join(' · ');
}

export function Search() {
  const params = new URLSearchParams(location.hash.split('?')[1] ?? '');
  const [q, setQ] = useState(params.get('q') ?? '');
  const [filters, setFilters] = useState<Record<string, string>>(() => {
    const f: Record<string, string> = {};
    for (const k of ['type', 'collection', 'language', 'label', 'month']) if (params.get(k)) f[k] = params.get(k)!;
    return f;
  });
  const [res, setRes] = useState<any>(null);
  // Counts over the best 1,000 matches, fetched beside the page of hits (whose own facets show meanwhile).
  const [wide, setWide] = useState<{ key: string; basis: number; facets: any } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [collections, setCollections] = useState<string[]>([]);
  useEffect(() => { api('/collections').then((r) => setCollections(r.collections.map((c: any) => c.name))).catch(() => {}); }, []);

  const run = async (query = q, f = filters) => {
    if (!query.trim()) return;
    setBusy(true);
    setError(null);
    const sp = new URLSearchParams({ q: query, limit: '50', ...f });
    history.replaceState(null, '', `#/search?${sp}`);
    const key = sp.toString();
    const fsp = new URLSearchParams({ q: query, ...f });
    api(`/search/facets?${fsp}`).then((r) => setWide({ key, basis: r.basis, facets: r.facets })).catch(() => setWide(null));
    try {
      setRes({ ...(await api(`/search?${sp}`)), key });
    } catch (e) {
      setError(e);
      setRes(null);
    } finally {
      setBusy(false);
    }
  };
  useEffect(() => { if (q) void run(); }, []);
  const toggle = (k: string, v: string) => {
    const f = { ...filters };
    if (f[k] === v) delete f[k];
    else f[k] = v;
    setFilters(f);
    void run(q, f);
  };
  return (
    <section aria-labelledby="search-title">
      <h1 id="search-title">Search</h1>
      <form role="search" class="searchbar" onSubmit={(e) => { e.preventDefault(); void run(); }}>
        <label for="q" class="sr-only">Search text</label>
        <input id="q" type="search" placeholder='words, "a phrase", -without, pref*' value={q} onInput={(e) => setQ((e.target as HTMLInputElement).value)} autoFocus />
        <label for="ftype" class="sr-only">Type</label>
        <select id="ftype" value={filters.type ?? ''} onChange={(e) => toggle('type', (e.target as HTMLSelectElement).value || filters.type || '')}>
          <option value="">any type</option>
          {TYPES.map((t) => <option value={t}>{t}</option>)}
        </select>
        <label for="fcol" class="sr-only">Collection</label>
        <select id="fcol" value={filters.collection ?? ''} onChange={(e) => toggle('collection', (e.target as HTMLSelectElement).value || filters.collection || '')}>
          <option value="">all collections</option>
          {collections.map((c) => <option value={c}>{c}</option>)}
        </select>
        <button type="submit" disabled={busy}>Search</button>
      </form>
      <ErrorNote error={error} />
      {res ? (
        <div class="results">
          <aside aria-label="Facets">
            {wide?.key === res.key && wide.basis < res.total
              ? <p class="meta">Counts over the best {wide.basis.toLocaleString()} of {res.total.toLocaleString()} results</p> : null}
            {FACETS.map(([k, label]) => {
              const facets = wide?.key === res.key ? wide.facets : res.facets;
              const entries = Object.entries<number>(facets?.[k] ?? {});
              if (!entries.length && !filters[k]) return null;
              return (
                <fieldset>
                  <legend>{label}</legend>
                  {entries.map(([v, n]) => (
                    <label class="facet"><input type="checkbox" checked={filters[k] === v} onChange={() => toggle(k, v)} /> {v} <span class="count">{n}</span></label>
                  ))}
                  {filters[k] && !entries.some(([v]) => v === filters[k]) ? <label class="facet"><input type="checkbox" checked onChange={() => toggle(k, filters[k]!)} /> {filters[k]}</label> : null}
                </fieldset>
              );
            })}
          </aside>
          <div>
            <p role="status">{res.total} result{res.total === 1 ? '' : 's'} <small>({res.tookMs} ms)</small></p>
            <ol class="hits">
              {res.hits.map((h: any) => (
                <li class="hit">
                  <img class="thumb" alt="" loading="lazy" src={mediaUrl(`/assets/${h.assetId}/thumbnail`)} onError={(e) => { (e.target as HTMLImageElement).style.visibility = 'hidden'; }} />
                  <div>
                    <a href={`#/asset/${encodeURIComponent(h.assetId)}`} class="title">{h.name ?? h.path}</a>
                    <div class="meta">{h.type} · {h.collection}{h.language ? ` · ${h.language}` : ''} · {h.path}</div>
                    <p class="snippet"><Snippet text={h.snippet} /></p>
                    <ul class="matches" aria-label="Where it matched">
                      {h.matches.slice(0, 4).map((m: any) => (
                        <li><a href={`#/asset/${encodeURIComponent(h.assetId)}?${m.start !== undefined && !['document-text', 'pii'].includes(m.analyser) ? `t=${m.start}` : m.page ? `page=${m.page}` : ''}`}>{where(m)}</a>: <Snippet text={m.text.slice(0, 160)} /></li>
                      ))}
                    </ul>
                  </div>
                </li>
              ))}
            </ol>
          </div>
        </div>
      ) : null}
    </section>
  );
}
