// Drag-and-drop (or choose) files; each goes up with the tus client, with progress, pause and resume.
import { useEffect, useState } from 'preact/hooks';
import { api, fmtBytes } from '../api.ts';
import { upload, type UploadHandle } from '../tus.ts';

interface Item { id: number; file: File; sent: number; state: 'uploading' | 'paused' | 'done' | 'failed'; message?: string; assetId?: string; handle?: UploadHandle }

let seq = 0;

export function Upload() {
  const [items, setItems] = useState<Item[]>([]);
  const [collection, setCollection] = useState('default');
  const [collections, setCollections] = useState<string[]>([]);
  const [over, setOver] = useState(false);
  useEffect(() => {
    api('/collections').then((r) => setCollections(r.collections.map((c: any) => c.name))).catch(() => {});
  }, []);
  const update = (id: number, patch: Partial<Item>) => setItems((xs) => xs.map((x) => (x.id === id ? { ...x, ...patch } : x)));
  const start = (it: Item) => {
    const h = upload(it.file, collection, (sent) => update(it.id, { sent }));
    update(it.id, { state: 'uploading', handle: h, message: '' });
    h.done.then((r) => update(it.id, {
      state: r.failed?.length ? 'failed' : 'done', assetId: r.assets?.[0]?.id,
      message: r.failed?.length ? r.failed[0].error : r.assets?.[0]?.duplicate ? 'already in the archive' : 'stored; analysing',
    })).catch((e) => update(it.id, e.name === 'AbortError' ? { state: 'paused', message: 'paused — resume continues where it stopped' } : { state: 'failed', message: e.message }));
  };
  const add = (files: FileList | File[]) => {
    const fresh = [...files].map((file) => ({ id: ++seq, file, sent: 0, state: 'uploading' as const }));
    setItems((xs) => [...fresh, ...xs]);
    for (const it of fresh) setTimeout(() => start(it), 0);
  };
  return (
    <section aria-labelledby="up-title">
      <h1 id="up-title">Upload</h1>
      <div class="row">
        <label for="up-col">Into collection</label>
        <input id="up-col" list="up-cols" value={collection} onInput={(e) => setCollection((e.target as HTMLInputElement).value)} />
        <datalist id="up-cols">{collections.map((c) => <option value={c} />)}</datalist>
      </div>
      <div class={`drop ${over ? 'over' : ''}`} onDragOver={(e) => { e.preventDefault(); setOver(true); }} onDragLeave={() => setOver(false)}
        onDrop={(e) => { e.preventDefault(); setOver(false); if (e.dataTransfer?.files.length) add(e.dataTransfer.files); }}>
        <p>Drop files here, or</p>
        <label class="button" for="files">Choose files…</label>
        <input id="files" type="file" multiple class="sr-only" onChange={(e) => { const f = (e.target as HTMLInputElement).files; if (f?.length) add(f); }} />
      </div>
      <ul class="uploads" aria-live="polite">
        {items.map((it) => (
          <li>
            <span class="name">{it.file.name}</span> <small>{fmtBytes(it.file.size)}</small>
            <progress max={it.file.size || 1} value={it.sent} aria-label={`${it.file.name} uploaded`}>{Math.round((it.sent / (it.file.size || 1)) * 100)}%</progress>
            <span class={`st-${it.state}`}>{it.state}{it.message ? `: ${it.message}` : ''}</span>
            {it.state === 'uploading' ? <button onClick={() => it.handle?.abort()}>Pause</button> : null}
            {it.state === 'paused' || it.state === 'failed' ? <button onClick={() => start(it)}>Resume</button> : null}
            {it.assetId ? <a href={`#/asset/${it.assetId}`}>Open</a> : null}
          </li>
        ))}
      </ul>
    </section>
  );
}
