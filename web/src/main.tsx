// The app shell: log in, then a navigation bar and one view per hash route (#/search, #/asset/ID,
// #/upload, #/status, #/admin, #/audit). A purpose dialog appears when a collection asks for one.
import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, getPurpose, onPurposeNeeded, setCsrf, setPurpose, type Me } from './api.ts';
import { Login } from './views/login.tsx';
import { Search } from './views/search.tsx';
import { Viewer } from './views/viewer.tsx';
import { Upload } from './views/upload.tsx';
import { Status } from './views/status.tsx';
import { Admin } from './views/admin.tsx';
import { Audit } from './views/audit.tsx';
import './style.css';

function useHash(): string {
  const [h, setH] = useState(location.hash || '#/');
  useEffect(() => {
    const f = () => setH(location.hash || '#/');
    addEventListener('hashchange', f);
    return () => removeEventListener('hashchange', f);
  }, []);
  return h;
}

function PurposeDialog({ message, done }: { message: string; done: (p: string | null) => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const [value, setValue] = useState(getPurpose());
  const allowed = /one of: ([^)]+)\)|allowed: (.+)$/.exec(message);
  const options = (allowed?.[1] ?? allowed?.[2] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  useEffect(() => { ref.current?.showModal(); }, []);
  return (
    <dialog ref={ref} aria-labelledby="purpose-title" onCancel={() => done(null)}>
      <form method="dialog" onSubmit={(e) => { e.preventDefault(); done(value.trim() || null); }}>
        <h2 id="purpose-title">Why are you looking?</h2>
        <p>{message}</p>
        <label for="purpose-input">Purpose (recorded in the audit log)</label>
        <input id="purpose-input" list="purpose-options" value={value} onInput={(e) => setValue((e.target as HTMLInputElement).value)} required autoFocus />
        <datalist id="purpose-options">{options.map((o) => <option value={o} />)}</datalist>
        <div class="row">
          <button type="submit">Continue</button>
          <button type="button" onClick={() => done(null)}>Cancel</button>
        </div>
      </form>
    </dialog>
  );
}

function App() {
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  const [prompt, setPrompt] = useState<{ message: string; resolve: (p: string | null) => void } | null>(null);
  const [purpose, setPurposeState] = useState(getPurpose());
  const hash = useHash();
  useEffect(() => {
    api<Me>('/me').then((m) => { setCsrf(m.csrfToken); setMe(m); }).catch(() => setMe(null));
    onPurposeNeeded((message) => new Promise((resolve) => setPrompt({ message, resolve })));
  }, []);
  useEffect(() => { document.getElementById('main')?.focus(); }, [hash]);
  if (me === undefined) return <p role="status">Loading…</p>;
  if (me === null) return <Login onLogin={(m) => { setCsrf(m.csrfToken); setMe(m); }} />;
  const can = (p: string) => me.permissions.includes(p);
  const [, route = '', arg = ''] = /^#\/([^/?]*)\/?([^?]*)/.exec(hash) ?? [];
  const links: [string, string, boolean][] = [
    ['search', 'Search', can('search')], ['upload', 'Upload', can('ingest')], ['status', 'Status', true],
    ['admin', 'Administration', can('admin') || can('hold') || can('retention')], ['audit', 'Audit', can('audit')],
  ];
  const current = route || (can('search') ? 'search' : can('audit') ? 'audit' : 'status');
  let view;
  if (current === 'asset') view = <Viewer id={decodeURIComponent(arg)} me={me} />;
  else if (current === 'upload') view = <Upload />;
  else if (current === 'status') view = <Status />;
  else if (current === 'admin') view = <Admin me={me} />;
  else if (current === 'audit') view = <Audit />;
  else view = <Search />;
  const logout = async () => {
    await api('/logout', { method: 'POST' }).catch(() => {});
    setMe(null);
  };
  return (
    <>
      <a class="skip" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById('main')?.focus(); }}>Skip to content</a>
      <header>
        <strong class="brand">Vitrine</strong>
        <nav aria-label="Main">
          {links.filter((l) => l[2]).map(([r, label]) => <a href={`#/${r}`} aria-current={current === r ? 'page' : undefined}>{label}</a>)}
        </nav>
        <span class="who">
          {purpose ? <button class="link" title="Change the purpose sent with your requests" onClick={() => { setPurpose(''); setPurposeState(''); }}>purpose: {purpose} ✕</button> : null}
          {me.name} ({me.role}{me.collection ? `, ${me.collection}` : ''}) <button onClick={logout}>Log out</button>
        </span>
      </header>
      <main id="main" tabIndex={-1}>{view}</main>
      {prompt ? <PurposeDialog message={prompt.message} done={(p) => { prompt.resolve(p); setPrompt(null); setPurposeState(p ?? getPurpose()); }} /> : null}
    </>
  );
}

render(<App />, document.getElementById('app')!);
