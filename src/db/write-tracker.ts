// Counts writes per table inside this process. A PGlite directory has one owner process (the lock file),
// so a cache that remembers a table's generation is exact there: nothing else can change the table. On a
// PostgreSQL server other processes write too, and Db.generation() is null there (always re-read).
const WRITE_RE = /\b(?:insert\s+into|update|delete\s+from|truncate(?:\s+table)?)\s+(?:only\s+)?(?:"?public"?\.)?"?([a-z_][a-z0-9_]*)"?/gi;

export class WriteTracker {
  private readonly gens = new Map<string, number>();
  private any = 0;

  /** Called with every statement's text before it runs. Over-counting is harmless; missing a write is not. */
  note(sql: string): void {
    // Reads are most statements; a plain SELECT cannot write (data-modifying CTEs start with WITH).
    if (/^\s*select\b/i.test(sql)) return;
    WRITE_RE.lastIndex = 0;
    for (let m; (m = WRITE_RE.exec(sql)); ) {
      const t = m[1]!.toLowerCase();
      this.gens.set(t, (this.gens.get(t) ?? 0) + 1);
    }
    // Statements we cannot attribute (DDL, DO blocks, multi-statement scripts) move every generation.
    if (/^\s*(?:alter|drop|create|do|copy)\b/i.test(sql) || /;\s*\S/.test(sql)) this.any++;
  }

  generation(table: string): number {
    return (this.gens.get(table) ?? 0) + this.any * 1e9;
  }
}
