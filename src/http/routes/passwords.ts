// Password check for browser logins, with the accountability module's scrypt hashes.
import type { Container } from '../../container.ts';
import { verifyPassword } from '../../services/governance/users.ts';

export async function checkPassword(c: Container, name: string, password: string): Promise<boolean> {
  return verifyPassword(password, await c.repos.users.passwordHash(name));
}
