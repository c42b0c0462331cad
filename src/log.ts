// Structured logs on stderr (pino). Never log file contents or tokens: log ids, hashes, codes.
import { pino, type Logger } from 'pino';

export function createLogger(level: string): Logger {
  return pino({ level, base: undefined, redact: ['token', 'password', '*.token', '*.password', 'authorization'] }, pino.destination(2));
}
