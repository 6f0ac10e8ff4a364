/**
 * The CLI's one refusal for a migrations folder that does not exist and for a migration.sql that
 * cannot be read (src/cli/target.ts readExistingFolder, requireReadable), as `down` and `verify` print it.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli';
import { type TempProject, tempProject } from '../support/project';

describe('CLI: the migrations folder', () => {
  let p: TempProject;
  beforeAll(async () => {
    p = await tempProject({ migrations: { '20240101000000_init': 'CREATE TABLE "a" ("id" INT);\n' } });
  });
  afterAll(async () => {
    await p.cleanup();
  });

  it('a folder that does not exist: exit 2, one line naming it and what to pass', async () => {
    const missing = path.join(p.root, 'nope');
    for (const argv of [
      ['down', 'init', '--migrations', 'nope'],
      ['verify', '--all', '--migrations', 'nope'],
    ]) {
      const r = await runCli(argv, p.root);
      expect(r.code).toBe(2);
      expect(r.err).toBe(
        `Migrations folder ${missing} does not exist. Pass --migrations DIR or --project DIR.\n`,
      );
    }
  });

  it('a migration.sql that cannot be read: exit 2, one line naming the file', async () => {
    // A directory where migration.sql should be: reading it fails (EISDIR).
    const sqlPath = path.join(p.dir, '20240102000000_bad', 'migration.sql');
    await fs.mkdir(sqlPath, { recursive: true });
    try {
      const r = await runCli(['verify', '--all', '--migrations', path.relative(p.root, p.dir)], p.root);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(
        new RegExp(`^Cannot read ${sqlPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .*EISDIR.*\n$`),
      );
    } finally {
      await p.remove('20240102000000_bad');
    }
  });
});
