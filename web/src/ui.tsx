import type { ApiError } from './api.ts';

export function ErrorNote({ error }: { error: unknown }) {
  if (!error) return null;
  const e = error as ApiError;
  return <p class="error" role="alert">{e.code ? `${e.code}: ` : ''}{e.message ?? String(error)}</p>;
}
