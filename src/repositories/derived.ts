import type { Db } from '../db/create-db.ts';

export interface DerivedRow {
  sha256: string;
  analyser: string;
  kind: string;
  path: string;
  time: number | null;
  page: number | null;
}

export class DerivedRepo {
  private readonly db: Db;
  constructor(db: Db) {
    this.db = db;
  }

  async replace(sha256: string, analyser: string, rows: Omit<DerivedRow, 'sha256' | 'analyser'>[]): Promise<void> {
    await this.db.k.deleteFrom('derived').where('sha256', '=', sha256).where('analyser', '=', analyser).execute();
    if (rows.length) await this.db.k.insertInto('derived').values(rows.map((r) => ({ ...r, sha256, analyser }))).execute();
  }

  async forSha(sha256: string): Promise<DerivedRow[]> {
    const rows = await this.db.k.selectFrom('derived').select(['sha256', 'analyser', 'kind', 'path', 'time', 'page'])
      .where('sha256', '=', sha256).orderBy('id').execute();
    return rows;
  }

  async deleteForSha(sha256: string): Promise<void> {
    await this.db.k.deleteFrom('derived').where('sha256', '=', sha256).execute();
  }
}
