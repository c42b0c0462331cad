import { useState } from 'preact/hooks';
import { api, type Me } from '../api.ts';
import { ErrorNote } from '../ui.tsx';

export function Login({ onLogin }: { onLogin: (m: Me) => void }) {
  const [mode, setMode] = useState<'token' | 'password'>('token');
  const [token, setToken] = useState('');
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      onLogin(await api<Me>('/login', { body: mode === 'token' ? { token: token.trim() } : { name: name.trim(), password } }));
    } catch (err) {
      setError(err);
    }
  };
  return (
    <main id="main" class="login">
      <h1>Vitrine</h1>
      <form onSubmit={submit} aria-labelledby="login-title">
        <h2 id="login-title">Log in</h2>
        <fieldset>
          <legend>With</legend>
          <label><input type="radio" name="mode" checked={mode === 'token'} onChange={() => setMode('token')} /> an API token</label>
          <label><input type="radio" name="mode" checked={mode === 'password'} onChange={() => setMode('password')} /> name and password</label>
        </fieldset>
        {mode === 'token' ? (
          <>
            <label for="token">Token (from <code>vitrine user add</code>)</label>
            <input id="token" type="password" autoComplete="off" value={token} onInput={(e) => setToken((e.target as HTMLInputElement).value)} required />
          </>
        ) : (
          <>
            <label for="name">Name</label>
            <input id="name" autoComplete="username" value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} required />
            <label for="password">Password</label>
            <input id="password" type="password" autoComplete="current-password" value={password} onInput={(e) => setPassword((e.target as HTMLInputElement).value)} required />
          </>
        )}
        <button type="submit">Log in</button>
        <ErrorNote error={error} />
      </form>
    </main>
  );
}
