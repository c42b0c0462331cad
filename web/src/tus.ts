// A small tus 1.0 client: POST creates the upload, PATCH sends chunks at Upload-Offset, HEAD asks where
// to resume. The upload URL is remembered per file (name, size, date) so a reload or a lost connection
// continues where the server says it is.
import { headers } from './api.ts';

const CHUNK = 8 * 1024 * 1024;
const TUS = { 'Tus-Resumable': '1.0.0' };
const key = (f: File, collection: string) => `vitrine.tus:${collection}:${f.name}:${f.size}:${f.lastModified}`;
const b64 = (s: string) => btoa(String.fromCharCode(...new TextEncoder().encode(s)));

export interface UploadHandle {
  done: Promise<any>;
  abort(): void;
}

async function failure(r: Response): Promise<Error> {
  try {
    const b = await r.json();
    return new Error(b.error?.message ?? `HTTP ${r.status}`);
  } catch {
    return new Error(`HTTP ${r.status}`);
  }
}

export function upload(file: File, collection: string, onProgress: (sent: number, total: number) => void): UploadHandle {
  const ac = new AbortController();
  const run = async () => {
    let url = localStorage.getItem(key(file, collection));
    let offset = 0;
    if (url) {
      const h = await fetch(url, { method: 'HEAD', headers: headers(TUS, 'HEAD'), signal: ac.signal, credentials: 'same-origin' });
      if (h.ok) offset = Number(h.headers.get('Upload-Offset') ?? 0);
      else url = null;
    }
    if (!url) {
      const r = await fetch('/api/v1/uploads', {
        method: 'POST', signal: ac.signal, credentials: 'same-origin',
        headers: headers({ ...TUS, 'Upload-Length': String(file.size), 'Upload-Metadata': `filename ${b64(file.name)},collection ${b64(collection)}` }, 'POST'),
      });
      if (r.status !== 201) throw await failure(r);
      url = r.headers.get('Location')!;
      localStorage.setItem(key(file, collection), url);
    }
    onProgress(offset, file.size);
    for (;;) {
      const end = Math.min(offset + CHUNK, file.size);
      const r = await fetch(url, {
        method: 'PATCH', body: file.slice(offset, end), signal: ac.signal, credentials: 'same-origin',
        headers: headers({ ...TUS, 'Upload-Offset': String(offset), 'Content-Type': 'application/offset+octet-stream' }, 'PATCH'),
      });
      if (r.status === 200) {
        // The last chunk: the server ingested the file and says what it became.
        localStorage.removeItem(key(file, collection));
        onProgress(file.size, file.size);
        return r.json();
      }
      if (r.status !== 204) {
        if (r.status === 404 || r.status === 410) localStorage.removeItem(key(file, collection));
        throw await failure(r);
      }
      offset = Number(r.headers.get('Upload-Offset') ?? end);
      onProgress(offset, file.size);
    }
  };
  return { done: run(), abort: () => ac.abort() };
}
