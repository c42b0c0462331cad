// A small argument parser: flags declared per command, `--flag value` or `--flag=value`, booleans,
// repeatable positionals. Unknown flags are usage errors (exit 2), never silently ignored.
import { usageError } from '../errors.ts';

export interface FlagSpec {
  [name: string]: 'string' | 'boolean';
}

export const GLOBAL_FLAGS: FlagSpec = { data: 'string', json: 'boolean', quiet: 'boolean', as: 'string', help: 'boolean' };

export interface Parsed {
  positionals: string[];
  flags: Record<string, string | boolean>;
}

export function parseArgs(argv: string[], spec: FlagSpec): Parsed {
  const all = { ...GLOBAL_FLAGS, ...spec };
  const out: Parsed = { positionals: [], flags: {} };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      out.positionals.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--') && a.length > 2) {
      const eq = a.indexOf('=');
      let name = eq > 0 ? a.slice(2, eq) : a.slice(2);
      let negated = false;
      if (!(name in all) && name.startsWith('no-') && all[name.slice(3)] === 'boolean') {
        name = name.slice(3);
        negated = true;
      }
      const kind = all[name];
      if (!kind) throw usageError(`unknown option --${name}; see "vitrine help"`);
      if (kind === 'boolean') {
        if (eq > 0) throw usageError(`--${name} takes no value`);
        out.flags[name] = !negated;
      } else {
        const v = eq > 0 ? a.slice(eq + 1) : argv[++i];
        if (v === undefined) throw usageError(`--${name} needs a value`);
        out.flags[name] = v;
      }
    } else {
      out.positionals.push(a);
    }
  }
  return out;
}

export function intFlag(v: string | boolean | undefined, name: string, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw usageError(`--${name} must be a whole number from ${min} to ${max}`);
  return n;
}

export function listFlag(v: string | boolean | undefined): string[] | undefined {
  if (typeof v !== 'string') return undefined;
  const list = v.split(/[,+]/).map((s) => s.trim()).filter(Boolean);
  return list.length ? list : undefined;
}
