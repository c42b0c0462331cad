// Output discipline: --json prints exactly one JSON document on stdout; humans get short text.
// Progress goes to stderr and only when stderr is a terminal.
export interface Out {
  json: boolean;
  quiet: boolean;
  result(value: unknown, human: () => string): void;
  progress(line: string): void;
  endProgress(): void;
  note(line: string): void;
}

export function createOut(json: boolean, quiet: boolean): Out {
  const tty = !!process.stderr.isTTY && !quiet;
  let drawn = false;
  return {
    json,
    quiet,
    result(value, human) {
      if (json) process.stdout.write(JSON.stringify(value, null, 2) + '\n');
      else if (!quiet) {
        const s = human();
        if (s) process.stdout.write(s.endsWith('\n') ? s : s + '\n');
      }
    },
    progress(line) {
      if (!tty) return;
      const lines = line.split('\n');
      if (drawn) process.stderr.write(`\x1b[${this.lastLines}F\x1b[J`);
      process.stderr.write(lines.join('\n') + '\n');
      drawn = true;
      (this as unknown as { lastLines: number }).lastLines = lines.length;
    },
    endProgress() {
      drawn = false;
    },
    note(line) {
      if (!quiet) process.stderr.write(line + '\n');
    },
  } as Out & { lastLines: number };
}

export function bar(done: number, total: number, width = 24): string {
  const f = total > 0 ? Math.min(1, done / total) : 1;
  const n = Math.round(f * width);
  return '█'.repeat(n) + '░'.repeat(width - n);
}

export function fmtBytes(n: number): string {
  const u = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i ? n.toFixed(1) : n} ${u[i]}`;
}
