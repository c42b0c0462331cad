// Every setting in one zod schema: environment (VITRINE_*) first, then CLI flags on top.
// A bad value stops the program at start with a clear message (exit 2), never at the first file.
import { resolve } from 'node:path';
import { cpus } from 'node:os';
import { z } from 'zod';
import { AppError } from './errors.ts';

const bool = z
  .union([z.boolean(), z.string()])
  .transform((v) => (typeof v === 'boolean' ? v : ['1', 'true', 'yes', 'on'].includes(v.toLowerCase())));
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

export const ConfigSchema = z.object({
  dataDir: z.string().min(1).default('./vitrine-data'),
  databaseUrl: z.string().regex(/^postgres(ql)?:\/\//, 'must start with postgres://').optional(),
  blobs: z.string().regex(/^(fs|s3:\/\/.+|azure:\/\/.+)$/, 'must be fs, s3://bucket/prefix or azure://container/prefix').optional(),
  search: z.enum(['auto', 'fts5', 'postgres']).default('auto'),
  concurrency: int(1, 64).default(Math.max(1, cpus().length)),
  heavyConcurrency: int(1, 64).default(1),
  /** A job whose worker died is handed to another worker after this many seconds. */
  jobExpireSeconds: int(30, 24 * 3600).default(300),
  jobRetries: int(0, 20).default(2),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('warn'),
  translateTo: z.string().regex(/^[a-z]{2}$/, 'an ISO 639-1 code such as en').default('en'),
  ocrLang: z.string().optional(),
  maxFileBytes: z.coerce.number().int().positive().default(64 * 1024 ** 3),
  auditCheckpointEvery: int(0, 10_000_000).default(1000),
  auditKey: z.string().optional(),
  whisperBin: z.string().optional(),
  whisperModel: z.string().optional(),
  quiet: bool.default(false),
  json: bool.default(false),
  as: z.string().optional(),
});

export type Config = z.infer<typeof ConfigSchema> & { dataDir: string };

const ENV_MAP: Record<string, keyof z.input<typeof ConfigSchema>> = {
  VITRINE_DATA: 'dataDir',
  VITRINE_DATABASE_URL: 'databaseUrl',
  VITRINE_BLOBS: 'blobs',
  VITRINE_SEARCH: 'search',
  VITRINE_CONCURRENCY: 'concurrency',
  VITRINE_HEAVY_CONCURRENCY: 'heavyConcurrency',
  VITRINE_JOB_EXPIRE_SECONDS: 'jobExpireSeconds',
  VITRINE_JOB_RETRIES: 'jobRetries',
  VITRINE_LOG_LEVEL: 'logLevel',
  VITRINE_TRANSLATE_TO: 'translateTo',
  VITRINE_OCR_LANG: 'ocrLang',
  VITRINE_MAX_FILE_BYTES: 'maxFileBytes',
  VITRINE_AUDIT_CHECKPOINT_EVERY: 'auditCheckpointEvery',
  VITRINE_AUDIT_KEY: 'auditKey',
  VITRINE_WHISPER_BIN: 'whisperBin',
  VITRINE_WHISPER_MODEL: 'whisperModel',
};

export const ENV_VARS = Object.keys(ENV_MAP);

export function loadConfig(flags: Record<string, unknown> = {}, env: NodeJS.ProcessEnv = process.env): Config {
  const raw: Record<string, unknown> = {};
  for (const [k, key] of Object.entries(ENV_MAP)) if (env[k] !== undefined && env[k] !== '') raw[key] = env[k];
  for (const [k, v] of Object.entries(flags)) if (v !== undefined) raw[k] = v;
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key = String(issue.path[0] ?? '');
    const envName = Object.entries(ENV_MAP).find(([, v]) => v === key)?.[0];
    throw new AppError('E_CONFIG', `bad setting ${key}${envName ? ` (${envName})` : ''}: ${issue.message}`, 'usage');
  }
  return { ...parsed.data, dataDir: resolve(parsed.data.dataDir) };
}
