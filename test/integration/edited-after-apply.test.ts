/**
 * Issue 13, item 5: a migration whose migration.sql changed after it was applied. Impact says so
 * (checksums), and `down --env` generates the rollback from the version the database ran, found in
 * git — on a real PostgreSQL 15 with Prisma's engine, in a real git repository.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { editedAfterApply, generateRollback } from '../../src/core/generator';
import { prismaChecksum } from '../../src/core/migrations';
import { findAppliedVersion } from '../../src/core/migrations/git';
import { runCli } from '../support/cli';
import { deploy } from '../support/engine';
import { createTestDatabase, type TestDatabase } from '../support/pg';
import { SCHEMA_WITH_URL_ENV, type TempProject, tempProject } from '../support/project';

const A = '20250101000000_init';
const B = '20250102000000_profile';
const RAN = 'CREATE TABLE "profile" ("id" INT PRIMARY KEY, "bio" TEXT);\n';
const EDITED =
  'CREATE TABLE "profile" ("id" INT PRIMARY KEY, "bio" TEXT, "avatar" TEXT);\nCREATE INDEX "profile_bio_idx" ON "profile"("bio");\n';

const cli = (cwd: string, ...argv: string[]) => runCli(argv, cwd);

describe('edited after apply', () => {
  let db: TestDatabase;
  let mig: TempProject;
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], {
      cwd: mig.root,
      stdio: 'pipe',
    });

  beforeEach(async () => {
    db = await createTestDatabase('edited');
    mig = await tempProject({
      schema: SCHEMA_WITH_URL_ENV,
      dotenv: { DATABASE_URL: db.url },
      files: { '.gitignore': '.env\n' },
      migrations: { [A]: 'CREATE TABLE "user" ("id" INT PRIMARY KEY);\n', [B]: RAN },
    });
    git('init', '-q');
    git('add', '.');
    git('commit', '-qm', 'deploy');
    await deploy(db.url, mig.dir);
    await mig.add(B, EDITED);
  });
  afterEach(async () => {
    await db.drop();
    await mig.cleanup();
  });

  it('impact names the two checksums; down --env generates from the version git has', async () => {
    git('commit', '-qam', 'edit the applied migration');
    await cli(mig.root, 'down', B);
    const impact = await cli(mig.root, 'impact', B, '--env', 'local');
    expect(impact.out).toContain(`⚠ ${B}/migration.sql was edited after it was applied in local`);
    expect(impact.out).toContain(prismaChecksum(RAN).slice(0, 12));
    expect(impact.out).toContain(prismaChecksum(EDITED).slice(0, 12));

    const down = await cli(mig.root, 'down', B, '--env', 'local', '--stdout');
    expect(down.code).toBe(0);
    expect(down.err).toMatch(/generating from the version it ran \(git [0-9a-f]{10}/);
    expect(down.out).toContain('DROP TABLE "profile"');
    expect(down.out).toContain(`Generated from migration.sql sha256 ${prismaChecksum(RAN)}`);
    expect(down.out).not.toContain('profile_bio_idx');
    // The header says which text it undoes, and that the file has changed since.
    expect(down.out).toMatch(
      new RegExp(
        `^-- Note: generated from the version of migration\\.sql that local ran \\(git [0-9a-f]{10}\\); the file was edited after it was applied \\(it now has checksum ${prismaChecksum(EDITED).slice(0, 12)}…\\)\\.$`,
        'm',
      ),
    );
    // Without --env the local (edited) file is used, as before.
    expect((await cli(mig.root, 'down', B, '--stdout')).out).toContain('profile_bio_idx');
  });

  it('down --env refuses (exit 2, one line) when git has no version that ran; unchanged files need no git', async () => {
    await fs.rm(path.join(mig.root, '.git'), { recursive: true, force: true });
    const down = await cli(mig.root, 'down', B, '--env', 'local', '--stdout');
    expect(down.code).toBe(2);
    expect(down.err.trim().split('\n')).toHaveLength(1);
    expect(down.err).toMatch(/Git has no version of .* with checksum/);
    await mig.add(B, RAN);
    const same = await cli(mig.root, 'down', B, '--env', 'local', '--stdout');
    expect(same.code).toBe(0);
    expect(same.err).not.toMatch(/edited after/);
  });

  it('down --to --env: each edited migration of the range is generated from the version it ran; without git it refuses unless its down.sql exists', async () => {
    git('commit', '-qam', 'edit the applied migration');
    const r = await cli(mig.root, 'down', '--to', A, '--env', 'local');
    expect(r.code).toBe(0);
    expect(r.err).toMatch(
      new RegExp(
        `${B}/migration\\.sql was edited after it was applied in local: generating from the version it ran \\(git [0-9a-f]{10}`,
      ),
    );
    const written = await fs.readFile(path.join(mig.dir, B, 'down.sql'), 'utf8');
    expect(written).toContain(`Generated from migration.sql sha256 ${prismaChecksum(RAN)}`);
    expect(written).toMatch(
      /^-- Note: generated from the version of migration\.sql that local ran \(git [0-9a-f]{10}\)/m,
    );
    expect(written).toContain('DROP TABLE "profile"');
    expect(written).not.toContain('profile_bio_idx');
    // Without --env: the edited file, as before.
    await fs.rm(path.join(mig.dir, B, 'down.sql'));
    expect((await cli(mig.root, 'down', '--to', A)).code).toBe(0);
    expect(await fs.readFile(path.join(mig.dir, B, 'down.sql'), 'utf8')).toContain('profile_bio_idx');
    // Git without that version: an existing down.sql is kept; a missing one is refused, one line, nothing written.
    await fs.rm(path.join(mig.root, '.git'), { recursive: true, force: true });
    const kept = await cli(mig.root, 'down', '--to', A, '--env', 'local');
    expect(kept.code).toBe(0);
    expect(kept.out).toContain(`${B}: down.sql exists, kept`);
    await fs.rm(path.join(mig.dir, B, 'down.sql'));
    const refused = await cli(mig.root, 'down', '--to', A, '--env', 'local');
    expect(refused.code).toBe(2);
    expect(refused.err.trim().split('\n')).toHaveLength(1);
    expect(refused.err).toMatch(/Git has no version of .* with checksum/);
    await expect(fs.stat(path.join(mig.dir, B, 'down.sql'))).rejects.toThrow();
  });

  it('editedAfterApply: undefined for the text that ran; else both checksums, the version git has, and the header note of the edited file', async () => {
    const sqlPath = path.join(mig.dir, B, 'migration.sql');
    expect(await editedAfterApply(sqlPath, RAN, 'local', prismaChecksum(RAN))).toBeUndefined();
    const e = await editedAfterApply(sqlPath, EDITED, 'production', prismaChecksum(RAN));
    expect(e?.fileChecksum).toBe(prismaChecksum(EDITED));
    expect(e?.ran?.sql).toBe(RAN);
    const history = [
      { name: A, sql: 'CREATE TABLE "user" ("id" INT PRIMARY KEY);\n' },
      { name: B, sql: EDITED },
    ];
    const fromFile = await generateRollback(history, 1, { source: e?.editedNote });
    expect(fromFile.sql).toContain(
      `-- Note: generated from the edited migration.sql, while production ran the version with checksum ${prismaChecksum(RAN).slice(0, 12)}…: this rollback may undo text that database never ran.`,
    );
    expect(fromFile.sql).toContain('DROP INDEX "profile_bio_idx"');
  });

  it('findAppliedVersion matches LF/CRLF variants and returns undefined outside git', async () => {
    await mig.add(B, RAN.replace(/\n/g, '\r\n'));
    git('commit', '-qam', 'crlf');
    await mig.add(B, EDITED);
    git('commit', '-qam', 'edited again');
    const sqlPath = path.join(mig.dir, B, 'migration.sql');
    const found = await findAppliedVersion(sqlPath, prismaChecksum(RAN));
    expect(found?.sql.replace(/\r\n/g, '\n')).toBe(RAN);
    expect(await findAppliedVersion('/tmp/nowhere/migration.sql', prismaChecksum(RAN))).toBeUndefined();
  });
});
