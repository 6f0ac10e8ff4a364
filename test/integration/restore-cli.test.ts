/**
 * `prisma-rollback restore --from <pg_dump file>` on a real PostgreSQL 15: a migration that drops a
 * column and a table holding rows is deployed without an archive, rolled back (apply-down
 * re-creates them empty), and restored from a backup taken before it — every value is back.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyBlocks, destroyedBy } from '../../src/core/runbook/restore';
import { runCliLines } from '../support/cli';
import { tempMigrations } from '../support/engine';
import { createTestDatabase, query, type TestDatabase } from '../support/pg';
import { SCHEMA_WITH_URL_ENV } from '../support/project';

describe('prisma-rollback restore --from', () => {
  let prod: TestDatabase;
  let mig: Awaited<ReturnType<typeof tempMigrations>>;
  let env: NodeJS.ProcessEnv;

  async function cli(...argv: string[]) {
    const r = await runCliLines(argv, mig.root, env);
    expect(`${r.out}\n${r.err}`).not.toContain(decodeURIComponent(new URL(prod.url).password));
    return r;
  }
  const users = () =>
    query(prod.url, `SELECT id, email, nickname, meta::text, tags::text FROM "User" ORDER BY id`);
  const notes = () => query(prod.url, `SELECT id, "userId", body FROM "Note" ORDER BY id`);

  beforeAll(async () => {
    prod = await createTestDatabase('restore_prod');
    mig = await tempMigrations();
    await fs.writeFile(path.join(mig.root, 'prisma', 'schema.prisma'), SCHEMA_WITH_URL_ENV);
    await fs.mkdir(path.join(mig.root, '.vscode'));
    await fs.writeFile(
      path.join(mig.root, '.vscode', 'settings.json'),
      '{ "prismaRollback.environments": [{ "name": "production", "urlEnv": "PRODUCTION_DATABASE_URL", "protected": true }] }',
    );
    await mig.add(
      '20240101000000_init',
      `CREATE TABLE "User" ("id" SERIAL PRIMARY KEY, "email" TEXT NOT NULL, "nickname" TEXT, "meta" JSONB, "tags" TEXT[]);
CREATE TABLE "Note" ("id" SERIAL PRIMARY KEY, "userId" INTEGER NOT NULL REFERENCES "User"("id"), "body" TEXT NOT NULL);
`,
    );
    env = { PATH: process.env.PATH, PRODUCTION_DATABASE_URL: prod.url };
  });
  afterAll(async () => {
    await prod?.drop();
    await mig?.cleanup();
  });

  it('reads what a migration destroys, and COPY blocks of a dump', async () => {
    expect(
      await destroyedBy(
        'ALTER TABLE "User" DROP COLUMN "nickname", ALTER COLUMN "age" TYPE INT;\nCREATE TABLE "Tmp" (id int);\nDROP TABLE "Tmp";\nDROP TABLE auth."Note";\n',
      ),
    ).toEqual({
      tables: [{ schema: 'auth', name: 'Note' }],
      columns: [{ table: { name: 'User' }, columns: ['nickname', 'age'] }],
    });
    const dump =
      'COPY public."User" (id, "nickName") FROM stdin;\n1\ttab\\there\n2\t\\N\n\\.\nCOPY public.other (a) FROM stdin;\nx\n\\.\n';
    expect(copyBlocks(dump, (_s, t) => t === 'User')).toEqual([
      {
        schema: 'public',
        table: 'User',
        columns: ['id', 'nickName'],
        rows: [
          ['1', 'tab\there'],
          ['2', null],
        ],
      },
    ]);
  });

  it('deploy without archive → apply-down re-creates empty → restore --from the dump before → values identical', async () => {
    expect((await cli('deploy', '--env', 'production', '--confirm', 'production', '--no-archive')).code).toBe(
      0,
    );
    await query(
      prod.url,
      `INSERT INTO "User" ("email", "nickname", "meta", "tags") VALUES
         ('a@x', 'Ann', '{"k": [1, "two"]}', '{red,"with space"}'),
         ('b@x', 'O''Brien\ttab', NULL, '{}'),
         ('c@x', NULL, '{"deep": {"x": null}}', NULL);
       INSERT INTO "Note" ("userId", "body") VALUES (1, 'first'), (1, 'line1\nline2'), (3, 'back\\slash');`,
    );
    const usersBefore = await users();
    const notesBefore = await notes();
    const custom = await cli('backup', '--env', 'production', '--format', 'custom', '--json');
    expect(custom.code).toBe(0);
    const customFile = (JSON.parse(custom.out) as { file: string }).file;
    const plainFile = path.join(mig.root, 'before.sql');
    expect((await cli('backup', '--env', 'production', '--out', plainFile)).code).toBe(0);

    await mig.add(
      '20240102000000_drop',
      'ALTER TABLE "User" DROP COLUMN "nickname", DROP COLUMN "meta";\nDROP TABLE "Note";\n',
    );
    await fs.writeFile(
      path.join(mig.dir, '20240102000000_drop', 'down.sql'),
      `ALTER TABLE "User" ADD COLUMN "nickname" TEXT, ADD COLUMN "meta" JSONB;
CREATE TABLE "Note" ("id" SERIAL PRIMARY KEY, "userId" INTEGER NOT NULL REFERENCES "User"("id"), "body" TEXT NOT NULL);
`,
    );
    expect((await cli('deploy', '--env', 'production', '--confirm', 'production', '--no-archive')).code).toBe(
      0,
    );
    const ad = await cli(
      'apply-down',
      '20240102000000_drop',
      '--env',
      'production',
      '--confirm',
      'production',
    );
    expect(ad.code).toBe(0);
    // the rollback re-created them empty
    expect((await users()).map((u) => [u.nickname, u.meta])).toEqual([
      [null, null],
      [null, null],
      [null, null],
    ]);
    expect(await notes()).toEqual([]);

    const restoreArgs = ['restore', '--env', 'production', '--migration', '20240102000000_drop'];
    const refused = await cli(...restoreArgs, '--from', customFile);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain(
      'Refused: production is a protected environment and restore writes rows there.',
    );

    const dry = await cli(...restoreArgs, '--from', plainFile, '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.out.split('\n')).toEqual([
      'Reading ' + plainFile,
      'Would write into production, from before.sql:',
      `  "public"."Note": 3 of the backup's 3 rows inserted (matched by "id"; rows already there are kept)`,
      `  "public"."User" "nickname", "meta": values of 3 of the backup's 3 rows written, matched by "id"`,
      'Dry run: nothing was changed.',
    ]);
    expect(await notes()).toEqual([]);

    const r = await cli(...restoreArgs, '--from', customFile, '--confirm', 'production');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out.split('\n').at(-1)).toBe(
      'Restored what 20240102000000_drop destroyed on production: "public"."Note" 3 rows, "public"."User" 3 rows.',
    );
    expect(await users()).toEqual(usersBefore);
    expect(await notes()).toEqual(notesBefore);
    // the scratch schema is gone, and the re-created sequence continues after the restored ids
    expect(
      await query(
        prod.url,
        `SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = '_prisma_rollback_restore'`,
      ),
    ).toEqual([{ n: 0 }]);
    expect(
      await query(prod.url, `INSERT INTO "Note" ("userId", "body") VALUES (2, 'new') RETURNING id`),
    ).toEqual([{ id: 4 }]);

    // a backup that lacks the table: one line, nothing changed
    const empty = path.join(mig.root, 'empty.sql');
    await fs.writeFile(
      empty,
      '--\n-- PostgreSQL database dump\n--\n\n--\n-- PostgreSQL database dump complete\n--\n',
    );
    const bad = await cli(...restoreArgs, '--from', empty, '--confirm', 'production');
    expect(bad.code).toBe(2);
    expect(bad.err.trim().split('\n')).toHaveLength(1);
    expect(bad.err).toContain('holds no rows of "public"."Note"');
  }, 180_000);

  it('a file that is not a complete pg_dump: one line naming it, exit 2, nothing changed (truncated custom and plain, random bytes, empty, a directory)', async () => {
    const restoreArgs = [
      'restore',
      '--env',
      'production',
      '--migration',
      '20240102000000_drop',
      '--confirm',
      'production',
    ];
    const custom = await cli('backup', '--env', 'production', '--format', 'custom', '--json');
    expect(custom.code).toBe(0);
    const customFile = (JSON.parse(custom.out) as { file: string }).file;
    const plainFile = path.join(mig.root, 'now.sql');
    expect((await cli('backup', '--env', 'production', '--out', plainFile)).code).toBe(0);
    const usersBefore = await users();
    const notesBefore = await notes();

    const bad = path.join(mig.root, 'bad');
    await fs.mkdir(bad);
    const bytes = await fs.readFile(customFile);
    await fs.writeFile(path.join(bad, 'cut.dump'), bytes.subarray(0, Math.floor(bytes.length / 2)));
    const plain = await fs.readFile(plainFile, 'utf8');
    const copy = plain.indexOf('COPY public."User"');
    expect(copy).toBeGreaterThan(0);
    // cut inside the User rows: what is left reads like a dump with fewer rows
    await fs.writeFile(path.join(bad, 'cut.sql'), plain.slice(0, plain.indexOf('\n', copy) + 20));
    await fs.writeFile(
      path.join(bad, 'random.bin'),
      Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 256)),
    );
    await fs.writeFile(path.join(bad, 'empty.sql'), '');
    await fs.mkdir(path.join(bad, 'dir.dump'));

    const expected: [string, RegExp][] = [
      [
        'cut.dump',
        /^.*[\\/]cut\.dump is a truncated pg_dump file: pg_restore could not read it to the end \(.+\); take the backup again\.$/,
      ],
      [
        'cut.sql',
        /^.*[\\/]cut\.sql is a truncated pg_dump file: it does not end with pg_dump's "-- PostgreSQL database dump complete"; the file was cut off .*: take the backup again\.$/,
      ],
      ['random.bin', /^.*[\\/]random\.bin is not a pg_dump file \(plain or custom format expected\)\.$/],
      [
        'empty.sql',
        /^.*[\\/]empty\.sql is not a pg_dump file \(plain or custom format expected\): it is empty\.$/,
      ],
      [
        'dir.dump',
        /^.*[\\/]dir\.dump is a directory, not a pg_dump file \(plain or custom format expected; pg_dump --format=directory writes a directory: take the backup with --format=custom or as plain SQL\)\.$/,
      ],
    ];
    for (const [name, line] of expected) {
      const r = await cli(...restoreArgs, '--from', path.join(bad, name));
      expect([name, r.code]).toEqual([name, 2]);
      const err = r.err.trim().split('\n');
      expect(err).toHaveLength(1);
      expect(err[0]).toMatch(line);
      expect(r.err).not.toMatch(/at \w+ \(/);
    }
    expect(await users()).toEqual(usersBefore);
    expect(await notes()).toEqual(notesBefore);
    // the complete dumps they were cut from are read (the migration is restored already: nothing to write)
    const whole = await cli(...restoreArgs, '--from', plainFile, '--dry-run');
    expect(whole.err).toBe('');
    expect(whole.code).toBe(0);
  }, 180_000);
});
