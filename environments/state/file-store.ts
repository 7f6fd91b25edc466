// The file state store: today's layout under SLIPWAY_HOME, one JSON file per item, logs as JSON lines, locks as lock files.
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { appendLineDurably, readTextIfExists, writeFileAtomically } from '../files';
import { acquireLock } from '../lock';
import type { StateStore } from './store';

export class FileStateStore implements StateStore {
  readonly kind = 'file' as const;
  constructor(readonly home: string) {}

  get location(): string {
    return this.home;
  }

  where(rel: string): string {
    return join(this.home, rel);
  }

  readText(rel: string): string | undefined {
    return readTextIfExists(join(this.home, rel));
  }

  writeText(rel: string, text: string): void {
    writeFileAtomically(join(this.home, rel), text);
  }

  remove(rel: string): void {
    rmSync(join(this.home, rel), { force: true });
  }

  appendLine(rel: string, line: string): void {
    appendLineDurably(join(this.home, rel), line);
  }

  list(relDir: string): string[] {
    try {
      return readdirSync(join(this.home, relDir));
    } catch {
      return [];
    }
  }

  async withLock<T>(name: string, what: string, timeoutMs: number, fn: () => Promise<T>): Promise<T> {
    const lock = await acquireLock(join(this.home, 'locks', `${name}.lock`), what, { timeoutMs });
    try {
      return await fn();
    } finally {
      lock.release();
    }
  }
}
