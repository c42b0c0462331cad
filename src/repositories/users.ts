// Users, their role and optional collection scope. Tokens and passwords are stored hashed only.
import { createHash } from 'node:crypto';
import type { Db } from '../db/create-db.ts';

export interface UserRow {
  name: string;
  role: string;
  collection: string | null;
  hasPassword: boolean;
  createdAt: string;
  createdBy: string;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

function toUser(r: Record<string, any>): UserRow {
  return {
    name: r.name, role: r.role, collection: r.collection ?? null, hasPassword: !!r.password_hash,
    createdAt: new Date(r.created_at).toISOString(), createdBy: r.created_by,
  };
}

export class UsersRepo {
  private readonly db: Db;
  constructor(db: Db) {
    this.db = db;
  }

  /** Creates the user, or replaces role, scope and token of an existing one. */
  async upsert(u: { name: string; role: string; collection: string | null; tokenHash: string; createdBy: string }): Promise<void> {
    await this.db.k.insertInto('users').values({
      name: u.name, role: u.role, collection: u.collection, token_hash: u.tokenHash, created_by: u.createdBy,
    }).onConflict((oc) => oc.column('name').doUpdateSet({ role: u.role, collection: u.collection, token_hash: u.tokenHash })).execute();
  }

  async setPasswordHash(name: string, passwordHash: string | null): Promise<boolean> {
    const r = await this.db.k.updateTable('users').set({ password_hash: passwordHash }).where('name', '=', name).executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async get(name: string): Promise<UserRow | null> {
    const r = await this.db.k.selectFrom('users').selectAll().where('name', '=', name).executeTakeFirst();
    return r ? toUser(r) : null;
  }

  async passwordHash(name: string): Promise<string | null> {
    const r = await this.db.k.selectFrom('users').select('password_hash').where('name', '=', name).executeTakeFirst();
    return r?.password_hash ?? null;
  }

  async createSession(idHash: string, user: string, csrf: string, expires: Date): Promise<void> {
    await this.db.executeSql('INSERT INTO sessions (id_hash, user_name, csrf, expires_at) VALUES ($1, $2, $3, $4)', [idHash, user, csrf, expires.toISOString()]);
  }

  /** A live session and its user, read together (one round trip per browser request). */
  async sessionUser(idHash: string): Promise<{ csrf: string; expires: number; user: UserRow } | null> {
    const r = await this.db.executeSql(
      `SELECT s.csrf, s.expires_at, u.* FROM sessions s JOIN users u ON u.name = s.user_name
        WHERE s.id_hash = $1 AND s.expires_at > now()`, [idHash]);
    const row = r.rows[0];
    return row ? { csrf: row.csrf, expires: new Date(row.expires_at).getTime(), user: toUser(row) } : null;
  }

  async deleteSession(idHash: string): Promise<void> {
    await this.db.executeSql('DELETE FROM sessions WHERE id_hash = $1', [idHash]);
  }

  async deleteSessions(user: string): Promise<void> {
    await this.db.executeSql('DELETE FROM sessions WHERE user_name = $1', [user]);
  }

  async sweepSessions(): Promise<number> {
    const r = await this.db.executeSql('DELETE FROM sessions WHERE expires_at <= now()');
    return r.rowCount ?? 0;
  }

  async byTokenHash(tokenHash: string): Promise<UserRow | null> {
    const r = await this.db.k.selectFrom('users').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
    return r ? toUser(r) : null;
  }

  async list(): Promise<UserRow[]> {
    return (await this.db.k.selectFrom('users').selectAll().orderBy('name').execute()).map(toUser);
  }

  async delete(name: string): Promise<boolean> {
    const r = await this.db.k.deleteFrom('users').where('name', '=', name).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
}
