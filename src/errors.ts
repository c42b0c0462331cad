// One error type for the whole app: a stable code, an exit code for the CLI, an HTTP status for the API,
// and whether retrying could help (transient) or never will (permanent).

export type ErrorKind = 'usage' | 'not_found' | 'policy' | 'failure' | 'permanent' | 'transient';

const EXIT: Record<ErrorKind, number> = {
  usage: 2,
  not_found: 3,
  policy: 4,
  failure: 1,
  permanent: 1,
  transient: 1,
};

const HTTP: Record<ErrorKind, number> = {
  usage: 400,
  not_found: 404,
  policy: 403,
  failure: 500,
  permanent: 422,
  transient: 503,
};

export class AppError extends Error {
  readonly code: string;
  readonly kind: ErrorKind;
  readonly httpStatus: number;

  constructor(code: string, message: string, kind: ErrorKind = 'failure', opts: { httpStatus?: number; cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.name = 'AppError';
    this.code = code;
    this.kind = kind;
    this.httpStatus = opts.httpStatus ?? HTTP[kind];
  }

  get exitCode(): number {
    return EXIT[this.kind];
  }
}

/** The input can never be handled by this analyser/tool: mark `skipped`, never retry. */
export class PermanentError extends AppError {
  constructor(code: string, message: string, cause?: unknown) {
    super(code, message, 'permanent', { cause });
  }
}

/** Worth retrying later (tool busy, storage unavailable, timeout under load). */
export class TransientError extends AppError {
  constructor(code: string, message: string, cause?: unknown) {
    super(code, message, 'transient', { cause });
  }
}

export const usageError = (message: string) => new AppError('E_USAGE', message, 'usage');
export const notFound = (what: string) => new AppError('E_NOT_FOUND', `${what} not found`, 'not_found');
export const refused = (code: string, message: string, httpStatus = 403) =>
  new AppError(code, message, 'policy', { httpStatus });

export function isPermanent(err: unknown): boolean {
  return err instanceof AppError && err.kind === 'permanent';
}

export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const e = err as NodeJS.ErrnoException;
  // PostgreSQL: the server went away or cut the session (admin shutdown, restart, network): worth a retry.
  if (e && typeof e === 'object' && typeof e.code === 'string' && (e.code === '57P01' || e.code === '57P02' || e.code === '57P03' || e.code.startsWith('08')))
    return new TransientError('E_DB_UNAVAILABLE', `the database connection was lost (${e.message}); run the command again`, err);
  if (e && typeof e === 'object' && typeof e.code === 'string') {
    if (e.code === 'ENOENT') return new AppError('E_NOT_FOUND', `${e.message}`, 'not_found');
    if (e.code === 'EACCES' || e.code === 'EPERM')
      return new AppError('E_PERMISSION', `permission denied: ${e.message}. Check the file's permissions.`, 'failure');
  }
  return new AppError('E_INTERNAL', e?.message ?? String(err), 'failure', { cause: err });
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
