// Administration: collection policies and retention, users and roles, legal holds.
import { useEffect, useState } from 'preact/hooks';
import { api, fmtBytes, type Me } from '../api.ts';
import { ErrorNote } from '../ui.tsx';

const list = (s: string) => s.split(',').map((x) => x.trim()).filter(Boolean);
const val = (e: Event) => (e.target as HTMLInputElement).value;

function Collections({ me, notify }: { me: Me; notify: (m: string) => void }) {
  const [cols, setCols] = useState<any[]>([]);
  const [edit, setEdit] = useState<any>(null);
  const [error, setError] = useState<unknown>(null);
  const load = () => api('/collections').then((r) => setCols(r.collections)).catch(setError);
  useEffect(() => { void load(); }, []);
  const save = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      await api(`/collections/${encodeURIComponent(edit.name)}`, { method: 'PUT', body: { requirePurpose: edit.requirePurpose, purposes: list(edit.purposes), analysers: edit.analysers.trim() ? list(edit.analysers) : null } });
      if (edit.retention.trim()) await api(`/retention/${encodeURIComponent(edit.name)}`, { method: 'PUT', body: { duration: edit.retention.trim() } });
      notify(`collection ${edit.name} saved`);
      setEdit(null);
      void load();
    } catch (err) { setError(err); }
  };
  const apply = async () => {
    try {
      const r = await api('/retention/apply', { method: 'POST' });
      notify(`retention applied: ${r.erased.length} erased, ${r.held.length} kept on hold`);
      void load();
    } catch (err) { setError(err); }
  };
  const isAdmin = me.permissions.includes('admin');
  return (
    <section aria-labelledby="col-title">
      <h2 id="col-title">Collections</h2>
      <table>
        <thead><tr><th scope="col">Name</th><th scope="col">Assets</th><th scope="col">Size</th><th scope="col">Purpose</th><th scope="col">Analysers</th><th scope="col">Retention</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
        <tbody>{cols.map((c) => (
          <tr><th scope="row">{c.name}</th><td>{c.assets}</td><td>{fmtBytes(c.bytes)}</td>
            <td>{c.requirePurpose ? `required${c.purposes.length ? `: ${c.purposes.join(', ')}` : ''}` : c.purposes.length ? c.purposes.join(', ') : '—'}</td>
            <td>{c.analysers ? c.analysers.join(', ') : 'all'}</td><td>{c.retention ?? '—'}</td>
            <td>{isAdmin || me.permissions.includes('retention') ? <button onClick={() => setEdit({ name: c.name, requirePurpose: c.requirePurpose, purposes: c.purposes.join(', '), analysers: (c.analysers ?? []).join(', '), retention: c.retention ?? '' })}>Edit {c.name}</button> : null}</td></tr>
        ))}</tbody>
      </table>
      <div class="row">
        {isAdmin ? <button onClick={() => setEdit({ name: '', requirePurpose: false, purposes: '', analysers: '', retention: '', isNew: true })}>New collection</button> : null}
        {me.permissions.includes('retention') ? <button onClick={apply}>Apply retention now</button> : null}
      </div>
      {edit ? (
        <form class="card" onSubmit={save} aria-label="Collection policy">
          {edit.isNew ? <><label for="c-name">Name</label><input id="c-name" value={edit.name} onInput={(e) => setEdit({ ...edit, name: val(e) })} required pattern="[A-Za-z0-9][A-Za-z0-9._@-]*" /></> : <h3>{edit.name}</h3>}
          {isAdmin ? <>
            <label><input type="checkbox" checked={edit.requirePurpose} onChange={() => setEdit({ ...edit, requirePurpose: !edit.requirePurpose })} /> Require a purpose to read</label>
            <label for="c-purposes">Allowed purposes (comma-separated; empty = any)</label>
            <input id="c-purposes" value={edit.purposes} onInput={(e) => setEdit({ ...edit, purposes: val(e) })} />
            <label for="c-analysers">Analysers (comma-separated; empty = all)</label>
            <input id="c-analysers" value={edit.analysers} onInput={(e) => setEdit({ ...edit, analysers: val(e) })} />
          </> : null}
          <label for="c-ret">Retention (0d, 30d, 6m, 7y; empty = keep)</label>
          <input id="c-ret" value={edit.retention} onInput={(e) => setEdit({ ...edit, retention: val(e) })} pattern="\d+[dwmy]" />
          <div class="row"><button type="submit">Save</button><button type="button" onClick={() => setEdit(null)}>Cancel</button></div>
        </form>
      ) : null}
      <ErrorNote error={error} />
    </section>
  );
}

function Users({ notify }: { notify: (m: string) => void }) {
  const [users, setUsers] = useState<any[]>([]);
  const [form, setForm] = useState({ name: '', role: 'viewer', collection: '' });
  const [token, setToken] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const load = () => api('/users').then((r) => setUsers(r.users)).catch(setError);
  useEffect(() => { void load(); }, []);
  const add = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      const r = await api('/users', { body: { name: form.name.trim(), role: form.role, collection: form.collection.trim() || null } });
      setToken(`${r.name}: ${r.token}`);
      void load();
    } catch (err) { setError(err); }
  };
  const remove = async (name: string) => {
    if (!confirm(`Remove user ${name}?`)) return;
    try { await api(`/users/${encodeURIComponent(name)}`, { method: 'DELETE' }); notify(`${name} removed`); void load(); } catch (err) { setError(err); }
  };
  const password = async (name: string) => {
    const p = prompt(`New password for ${name} (at least 10 characters)`);
    if (!p) return;
    try { await api(`/users/${encodeURIComponent(name)}/password`, { method: 'PUT', body: { password: p } }); notify(`password of ${name} set`); void load(); } catch (err) { setError(err); }
  };
  return (
    <section aria-labelledby="users-title">
      <h2 id="users-title">Users</h2>
      <table>
        <thead><tr><th scope="col">Name</th><th scope="col">Role</th><th scope="col">Collection</th><th scope="col">Password</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
        <tbody>{users.map((u) => (
          <tr><th scope="row">{u.name}</th><td>{u.role}</td><td>{u.collection ?? 'all'}</td><td>{u.hasPassword ? 'set' : '—'}</td>
            <td><button onClick={() => password(u.name)}>Set password for {u.name}</button> <button onClick={() => remove(u.name)}>Remove {u.name}</button></td></tr>
        ))}</tbody>
      </table>
      <form class="row" onSubmit={add} aria-label="Add a user">
        <label for="u-name">Name</label><input id="u-name" value={form.name} onInput={(e) => setForm({ ...form, name: val(e) })} required />
        <label for="u-role">Role</label>
        <select id="u-role" value={form.role} onChange={(e) => setForm({ ...form, role: val(e) })}>{['viewer', 'analyst', 'curator', 'auditor', 'admin'].map((r) => <option>{r}</option>)}</select>
        <label for="u-col">Limited to collection</label><input id="u-col" value={form.collection} placeholder="all" onInput={(e) => setForm({ ...form, collection: val(e) })} />
        <button type="submit">Add user</button>
      </form>
      {token ? <p class="card" role="status">Token (shown once, copy it now): <code>{token}</code> <button onClick={() => setToken(null)}>Done</button></p> : null}
      <ErrorNote error={error} />
    </section>
  );
}

function Holds({ notify }: { notify: (m: string) => void }) {
  const [holds, setHolds] = useState<any[]>([]);
  const [form, setForm] = useState({ kind: 'asset', target: '', reason: '' });
  const [error, setError] = useState<unknown>(null);
  const load = () => api('/holds').then((r) => setHolds(r.holds)).catch(setError);
  useEffect(() => { void load(); }, []);
  const act = async (op: 'set' | 'release', kind: string, target: string, reason: string) => {
    setError(null);
    try {
      await api(op === 'set' ? '/holds' : '/holds/release', { body: { [kind]: target, reason } });
      notify(`hold ${op === 'set' ? 'set on' : 'released from'} ${kind} ${target}`);
      void load();
    } catch (err) { setError(err); }
  };
  return (
    <section aria-labelledby="holds-title">
      <h2 id="holds-title">Legal holds</h2>
      <table>
        <thead><tr><th scope="col">On</th><th scope="col">Reason</th><th scope="col">Set</th><th scope="col">Released</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
        <tbody>{holds.map((h) => (
          <tr><th scope="row">{h.kind} {h.kind === 'asset' ? <a href={`#/asset/${h.target}`}>{h.target}</a> : h.target}</th><td>{h.reason}</td><td>{h.setAt.slice(0, 10)} by {h.setBy}</td>
            <td>{h.releasedAt ? `${h.releasedAt.slice(0, 10)} by ${h.releasedBy}: ${h.releaseReason}` : '—'}</td>
            <td>{h.releasedAt ? null : <button onClick={() => { const r = prompt('Reason for releasing the hold'); if (r) void act('release', h.kind, h.target, r); }}>Release</button>}</td></tr>
        ))}</tbody>
      </table>
      <form class="row" onSubmit={(e) => { e.preventDefault(); void act('set', form.kind, form.target.trim(), form.reason.trim()); }} aria-label="Set a legal hold">
        <label for="h-kind">On</label>
        <select id="h-kind" value={form.kind} onChange={(e) => setForm({ ...form, kind: val(e) })}><option value="asset">asset</option><option value="collection">collection</option></select>
        <label for="h-target">Id or name</label><input id="h-target" value={form.target} onInput={(e) => setForm({ ...form, target: val(e) })} required />
        <label for="h-reason">Reason</label><input id="h-reason" value={form.reason} onInput={(e) => setForm({ ...form, reason: val(e) })} required />
        <button type="submit">Set hold</button>
      </form>
      <ErrorNote error={error} />
    </section>
  );
}

export function Admin({ me }: { me: Me }) {
  const [note, setNote] = useState('');
  return (
    <section aria-labelledby="admin-title">
      <h1 id="admin-title">Administration</h1>
      <p role="status" aria-live="polite">{note}</p>
      <Collections me={me} notify={setNote} />
      {me.permissions.includes('admin') && me.collection === null ? <Users notify={setNote} /> : null}
      {me.permissions.includes('hold') ? <Holds notify={setNote} /> : null}
    </section>
  );
}
