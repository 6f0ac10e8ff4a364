import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  checksumMatches,
  migrationDate,
  prismaChecksum,
  readMigrationsFolder,
} from '../../src/core/migrations';

describe('migrations folder', () => {
  it('sorts like Prisma (localeCompare) and keeps odd names', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pr-mig-'));
    for (const n of [
      '20240102_b',
      '20240101000000_a',
      '20240101000000_a b',
      '2024010100000_trailing_',
      'lowercase',
    ]) {
      await fs.mkdir(path.join(dir, n));
      await fs.writeFile(path.join(dir, n, 'migration.sql'), `-- ${n}\n`);
    }
    await fs.mkdir(path.join(dir, '20240103_nosql'));
    await fs.writeFile(path.join(dir, 'migration_lock.toml'), '# comment\nprovider = "postgresql"\n');
    const f = await readMigrationsFolder(dir);
    expect(f.migrations.map((m) => m.name)).toEqual(
      [
        '20240102_b',
        '20240101000000_a',
        '20240101000000_a b',
        '2024010100000_trailing_',
        'lowercase',
        '20240103_nosql',
      ].sort((a, b) => a.localeCompare(b)),
    );
    expect(f.lockfile.provider).toBe('postgresql');
    expect(f.migrations.find((m) => m.name === '20240103_nosql')?.error).toMatch(/ENOENT/);
    await fs.rm(dir, { recursive: true });
  });

  it('a missing folder is not an error', async () => {
    const f = await readMigrationsFolder('/nonexistent/prisma/migrations');
    expect(f.exists).toBe(false);
    expect(f.migrations).toEqual([]);
  });

  it('checksums: lowercase hex SHA-256, LF/CRLF variants and the old unpadded form', () => {
    const sql = 'CREATE TABLE "A" ();\n';
    const c = prismaChecksum(sql);
    expect(c).toMatch(/^[0-9a-f]{64}$/);
    expect(checksumMatches(c, sql)).toBe(true);
    expect(checksumMatches(c, sql.replace(/\n/g, '\r\n'))).toBe(true);
    expect(checksumMatches(prismaChecksum(sql.replace(/\n/g, '\r\n')), sql)).toBe(true);
    expect(checksumMatches(c, `${sql} `)).toBe(false);
    // Find content whose digest has a byte < 0x10, so the unpadded form differs.
    let s = 'x';
    while (!/(^|.{2})*0[0-9a-f]/.test(prismaChecksum(s)) || !hasLowByte(s)) s += 'x';
    const unpadded = [...Buffer.from(prismaChecksum(s), 'hex')].map((b) => b.toString(16)).join('');
    expect(unpadded.length).toBeLessThan(64);
    expect(checksumMatches(unpadded, s)).toBe(true);
  });

  it('parses 8–14 digit prefixes', () => {
    expect(migrationDate('20251117093000_init')?.toISOString()).toBe('2025-11-17T09:30:00.000Z');
    expect(migrationDate('20251117_x')?.toISOString()).toBe('2025-11-17T00:00:00.000Z');
    expect(migrationDate('init')).toBeUndefined();
    expect(migrationDate('99999999999999_bad')).toBeUndefined();
  });
});

function hasLowByte(s: string): boolean {
  return [...Buffer.from(prismaChecksum(s), 'hex')].some((b) => b < 0x10);
}
