// One asset: the image with toggleable overlays (OCR lines, objects, faces); video/audio with a shot
// timeline, a transcript that seeks on click and follows playback, on-screen text by time; document pages
// with their text; then metadata, analyses, children, similar items and export.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api, fmtBytes, fmtTime, mediaUrl, raw, type Me } from '../api.ts';
import { ErrorNote } from '../ui.tsx';

type Box = [number, number, number, number];
interface Timed { start?: number; end?: number }

function Overlays({ a, natural }: { a: any; natural: { w: number; h: number } }) {
  const [show, setShow] = useState({ ocr: true, objects: true, faces: true });
  const r = (id: string) => (a.analyses[id]?.status === 'done' ? a.analyses[id].result : null);
  const layers: { key: keyof typeof show; label: string; items: { box: Box; label: string }[] }[] = [
    { key: 'ocr', label: 'Text (OCR)', items: (r('ocr')?.lines ?? []).map((l: any) => ({ box: l.box, label: l.text })) },
    { key: 'objects', label: 'Objects', items: (r('objects')?.objects ?? []).map((o: any) => ({ box: o.box, label: `${o.label} ${Math.round(o.score * 100)}%` })) },
    { key: 'faces', label: 'Faces', items: (r('faces')?.faces ?? []).map((f: any) => ({ box: f.box, label: `face ${Math.round(f.score * 100)}%` })) },
  ];
  return (
    <>
      <fieldset class="toggles">
        <legend>Overlays</legend>
        {layers.map((l) => (
          <label><input type="checkbox" checked={show[l.key]} onChange={() => setShow({ ...show, [l.key]: !show[l.key] })} /> {l.label} ({l.items.length})</label>
        ))}
      </fieldset>
      <svg class="overlay" viewBox={`0 0 ${natural.w} ${natural.h}`} preserveAspectRatio="none" aria-hidden="true">
        {layers.filter((l) => show[l.key]).flatMap((l) => l.items.filter((i) => Array.isArray(i.box)).map((i) => (
          <g class={`ov-${l.key}`}>
            <rect x={i.box[0]} y={i.box[1]} width={i.box[2]} height={i.box[3]} vector-effect="non-scaling-stroke" />
            <title>{i.label}</title>
          </g>
        )))}
      </svg>
    </>
  );
}

function ImageView({ a }: { a: any }) {
  const [natural, setNatural] = useState<{ w: number; h: number } | null>(null);
  const playable = /^image\/(jpeg|png|gif|webp|avif)$/.test(a.mime);
  const src = playable ? mediaUrl(`/assets/${a.id}/original`) : mediaUrl(`/assets/${a.id}/thumbnail`);
  const ocr = a.analyses.ocr?.result?.lines ?? [];
  return (
    <div>
      <div class="stage">
        <img src={src} alt={a.analyses.ocr?.result?.text ? `Image; text in it: ${a.analyses.ocr.result.text.slice(0, 200)}` : `Image ${a.name}`}
          onLoad={(e) => { const i = e.target as HTMLImageElement; setNatural({ w: i.naturalWidth, h: i.naturalHeight }); }} />
        {natural && playable ? <Overlays a={a} natural={natural} /> : null}
      </div>
      {ocr.length ? <details open><summary>Text in the image ({ocr.length} lines)</summary><ol>{ocr.map((l: any) => <li>{l.text}</li>)}</ol></details> : null}
    </div>
  );
}

function activeAt<T extends Timed>(items: T[], t: number): T[] {
  return items.filter((x) => x.start !== undefined && x.start <= t && t < (x.end ?? x.start + 1));
}

function MediaView({ a, startAt }: { a: any; startAt: number | null }) {
  const ref = useRef<HTMLVideoElement & HTMLAudioElement>(null);
  const [t, setT] = useState(0);
  const r = (id: string) => (a.analyses[id]?.status === 'done' ? a.analyses[id].result : null);
  const duration: number = r('metadata')?.duration ?? 0;
  const segments: any[] = r('transcript')?.segments ?? [];
  const translated: any[] = r('translation')?.segments ?? [];
  const shots: any[] = r('shots')?.shots ?? [];
  const ocr: any[] = (r('ocr')?.lines ?? []).filter((l: any) => l.start !== undefined);
  const objects: any[] = (r('objects')?.objects ?? []).filter((o: any) => o.start !== undefined);
  const current = segments.findIndex((s) => s.start <= t && t < s.end);
  const listRef = useRef<HTMLOListElement>(null);
  const seek = (s: number) => {
    const m = ref.current;
    if (!m) return;
    m.currentTime = s;
    setT(s);
    void m.play().catch(() => {});
  };
  useEffect(() => { if (startAt !== null && ref.current) ref.current.currentTime = startAt; }, [startAt]);
  useEffect(() => {
    const li = listRef.current?.children[current] as HTMLElement | undefined;
    li?.scrollIntoView?.({ block: 'nearest' });
  }, [current]);
  const isVideo = a.type === 'video';
  const hasCaptions = segments.length > 0;
  const Tag = (isVideo ? 'video' : 'audio') as any;
  return (
    <div class="media">
      <Tag ref={ref} id="player" controls preload="metadata" src={mediaUrl(`/assets/${a.id}/original`)}
        poster={isVideo ? mediaUrl(`/assets/${a.id}/thumbnail`) : undefined}
        onTimeUpdate={(e: Event) => setT((e.target as HTMLMediaElement).currentTime)} aria-label={`${a.type} ${a.name}`}>
        {hasCaptions ? <track kind="captions" src={mediaUrl(`/assets/${a.id}/captions.vtt`)} srclang={r('transcript')?.language ?? 'en'} label="Transcript" /> : null}
      </Tag>
      {shots.length && duration ? (
        <div class="timeline" role="group" aria-label="Shots">
          {shots.map((s, i) => (
            <button class={`shot ${s.start <= t && t < s.end ? 'on' : ''}`} style={{ left: `${(s.start / duration) * 100}%`, width: `${((s.end - s.start) / duration) * 100}%` }}
              onClick={() => seek(s.start)} aria-label={`Shot ${i + 1} at ${fmtTime(s.start)}`} title={`Shot ${i + 1}: ${fmtTime(s.start)}–${fmtTime(s.end)}`} />
          ))}
          <div class="playhead" style={{ left: `${(t / duration) * 100}%` }} aria-hidden="true" />
        </div>
      ) : null}
      <div class="cols">
        {segments.length ? (
          <section aria-labelledby="tr-title">
            <h2 id="tr-title">Transcript <small>({r('transcript').language}, {r('transcript').engine})</small></h2>
            <ol class="transcript" ref={listRef}>
              {segments.map((s, i) => (
                <li class={i === current ? 'current' : ''} aria-current={i === current ? 'true' : undefined}>
                  <button class="seg" data-start={s.start} onClick={() => seek(s.start)}>
                    <span class="tc">{fmtTime(s.start)}</span> {s.text}
                    {translated[i] ? <span class="tl"> — {translated[i].text}</span> : null}
                  </button>
                </li>
              ))}
            </ol>
          </section>
        ) : <p>No transcript{a.analyses.transcript ? ` (${a.analyses.transcript.status}${a.analyses.transcript.error ? `: ${a.analyses.transcript.error}` : ''})` : ''}.</p>}
        {ocr.length || objects.length ? (
          <section aria-labelledby="ost-title">
            <h2 id="ost-title">On screen now</h2>
            <ul aria-live="polite">{[...activeAt(ocr, t).map((l) => `“${l.text}”`), ...activeAt(objects, t).map((o) => o.label)].map((x) => <li>{x}</li>)}</ul>
            <details><summary>All on-screen text ({ocr.length})</summary>
              <ol>{ocr.map((l) => <li><button class="link" onClick={() => seek(l.start)}>{fmtTime(l.start)}</button> {l.text}</li>)}</ol>
            </details>
          </section>
        ) : null}
      </div>
    </div>
  );
}

function DocumentView({ a, page }: { a: any; page: number | null }) {
  const dt = a.analyses['document-text']?.result;
  const pageImages = new Map<number, string>(a.derived.filter((d: any) => d.kind === 'page').map((d: any) => [d.page, d.url]));
  const pages: { page: number; text: string }[] = dt?.pages?.length ? dt.pages : dt?.text ? [{ page: 1, text: dt.text }] : [];
  useEffect(() => { if (page) document.getElementById(`page-${page}`)?.scrollIntoView(); }, [page]);
  if (!pages.length) return <p>No text extracted{a.analyses['document-text'] ? ` (${a.analyses['document-text'].status})` : ''}.</p>;
  return (
    <div class="pages">
      {dt?.title ? <p><b>{dt.title}</b>{dt.author ? ` — ${dt.author}` : ''}</p> : null}
      {pages.map((p) => (
        <section id={`page-${p.page}`} class="page" aria-label={`Page ${p.page}`}>
          <h3>Page {p.page}</h3>
          {pageImages.has(p.page) ? <img src={mediaUrl(pageImages.get(p.page)!.replace('/api/v1', ''))} alt={`Page ${p.page} as an image`} /> : null}
          <pre class="text">{p.text}</pre>
        </section>
      ))}
    </div>
  );
}

function Export({ a }: { a: any }) {
  const [redact, setRedact] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const go = async (body: Record<string, unknown>) => {
    setBusy(true);
    setError(null);
    try {
      const r = await raw(`/assets/${a.id}/export`, { method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } });
      const name = /filename="([^"]+)"/.exec(r.headers.get('Content-Disposition') ?? '')?.[1] ?? 'export';
      const url = URL.createObjectURL(await r.blob());
      const link = document.createElement('a');
      link.href = url;
      link.download = name;
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="ex-title">
      <h2 id="ex-title">Export</h2>
      <div class="row">
        <label for="redact">Redact</label>
        <select id="redact" value={redact} onChange={(e) => setRedact((e.target as HTMLSelectElement).value)}>
          <option value="">nothing (a copy)</option><option value="faces">faces</option><option value="pii">personal data</option><option value="all">faces and personal data</option>
        </select>
        <button disabled={busy} onClick={() => go(redact ? { redact } : {})}>Export</button>
        {a.analyses.transcript?.status === 'done' ? <button disabled={busy} onClick={() => go({ captions: 'vtt' })}>Captions (VTT)</button> : null}
        {busy ? <span role="status">Preparing…</span> : null}
      </div>
      <ErrorNote error={error} />
    </section>
  );
}

export function Viewer({ id, me }: { id: string; me: Me }) {
  const [a, setA] = useState<any>(null);
  const [error, setError] = useState<unknown>(null);
  const [similar, setSimilar] = useState<any[] | null>(null);
  const params = useMemo(() => new URLSearchParams(location.hash.split('?')[1] ?? ''), [location.hash]);
  useEffect(() => {
    setA(null);
    setError(null);
    api(`/assets/${encodeURIComponent(id)}`).then(setA).catch(setError);
    if (me.permissions.includes('show')) api(`/assets/${encodeURIComponent(id)}/similar`).then((r) => setSimilar(r.similar)).catch(() => setSimilar(null));
  }, [id]);
  if (error) return <section><h1>Asset {id}</h1><ErrorNote error={error} /></section>;
  if (!a) return <p role="status">Loading…</p>;
  const t = params.get('t');
  const page = params.get('page');
  return (
    <article aria-labelledby="asset-title">
      <h1 id="asset-title">{a.name}</h1>
      <p class="meta">{a.type} · {a.mime} · {fmtBytes(a.size)} · collection {a.collection} · ingested {a.ingestedAt.slice(0, 16).replace('T', ' ')} by {a.ingestedBy}
        {' · '}<a href={mediaUrl(`/assets/${a.id}/original`)} download>Download original</a>
        {a.parent ? <> · inside <a href={`#/asset/${a.parent}`}>{a.parent}</a></> : null}</p>
      {a.type === 'image' ? <ImageView a={a} /> : null}
      {a.type === 'video' || a.type === 'audio' ? <MediaView a={a} startAt={t ? Number(t) : null} /> : null}
      {a.type === 'document' || a.type === 'email' ? <DocumentView a={a} page={page ? Number(page) : null} /> : null}
      {a.children.length ? <section><h2>Contains</h2><ul>{a.children.map((c: string) => <li><a href={`#/asset/${c}`}>{c}</a></li>)}</ul></section> : null}
      {similar?.length ? <section><h2>Similar</h2><ul>{similar.map((s) => <li><a href={`#/asset/${s.assetId}`}>{s.path}</a> (distance {s.distance})</li>)}</ul></section> : null}
      {me.permissions.includes('export') ? <Export a={a} /> : null}
      <section aria-labelledby="an-title">
        <h2 id="an-title">Analyses</h2>
        <table>
          <thead><tr><th scope="col">Analyser</th><th scope="col">Status</th><th scope="col">Time</th><th scope="col">Result</th></tr></thead>
          <tbody>
            {Object.entries<any>(a.analyses).map(([k, v]) => (
              <tr><th scope="row">{k}</th><td class={`st-${v.status}`}>{v.status}</td><td>{v.ms !== null ? `${v.ms} ms` : ''}</td>
                <td>{v.error ? v.error : <details><summary>JSON</summary><pre>{JSON.stringify(v.result, null, 1).slice(0, 4000)}</pre></details>}</td></tr>
            ))}
          </tbody>
        </table>
      </section>
    </article>
  );
}
