import { readdir, readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { dependentMigrations } from '../../src/core/verify/dependents';

const history = [
  {
    name: '1_init',
    sql: 'CREATE TABLE "User" ("id" SERIAL PRIMARY KEY, "email" TEXT);\nCREATE TYPE "Role" AS ENUM (\'USER\');',
  },
  {
    name: '2_profiles',
    sql: `CREATE TABLE "Profile" ("id" SERIAL PRIMARY KEY, "userId" INT);
ALTER TABLE "User" ADD COLUMN "nick" TEXT;
ALTER TYPE "Role" ADD VALUE 'ADMIN';
CREATE INDEX "User_email_idx" ON "User"("email");`,
  },
  {
    name: '3_unrelated',
    sql: 'ALTER TABLE "User" ADD COLUMN "age" INT;\nCREATE INDEX "User_age_idx" ON "User"("age");',
  },
  {
    name: '4_fk',
    sql: `-- AddForeignKey
CREATE TABLE "Post" ("id" INT, "profileId" INT);

ALTER TABLE "Post" ADD CONSTRAINT "Post_profileId_fkey" FOREIGN KEY ("profileId") REFERENCES "Profile"("id");`,
  },
  { name: '5_nick_index', sql: 'CREATE UNIQUE INDEX "User_nick_key" ON "User"("nick");' },
  { name: '6_enum', sql: `ALTER TABLE "User" ADD COLUMN "role" "Role" NOT NULL DEFAULT 'USER';` },
  { name: '7_drop_index', sql: 'DROP INDEX "User_email_idx";' },
];

describe('dependentMigrations', () => {
  it('lists later migrations that touch what N created or changed, with the statement line', async () => {
    const deps = await dependentMigrations(history, 1);
    expect(deps).toEqual([
      {
        name: '4_fk',
        index: 3,
        reasons: ['line 4: adds a foreign key to table "Profile", which 2_profiles created'],
      },
      {
        name: '5_nick_index',
        index: 4,
        reasons: ['line 1: indexes column "User"."nick", which 2_profiles added or changed'],
      },
      { name: '6_enum', index: 5, reasons: ['line 1: uses type "Role", which 2_profiles changed'] },
      {
        name: '7_drop_index',
        index: 6,
        reasons: ['line 1: drops index "User_email_idx", which 2_profiles created'],
      },
    ]);
    expect(await dependentMigrations(history, 6)).toEqual([]);
  });

  it('runs over a real history (langfuse) in well under a second per migration', async () => {
    const dir = '/work/shared/corpus/langfuse';
    const names = (await readdir(dir, { withFileTypes: true }))
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
    const migrations = await Promise.all(
      names.map(async (name) => ({ name, sql: await readFile(`${dir}/${name}/migration.sql`, 'utf8') })),
    );
    const started = performance.now();
    const index = names.indexOf('20230518193415_add_observaionts_and_traces');
    const deps = await dependentMigrations(migrations, index);
    const ms = performance.now() - started;
    // that migration created "traces" and "observations": many later migrations touch them
    expect(deps.length).toBeGreaterThan(50);
    expect(deps[0].name).toBe('20230518193521_changes');
    expect(deps[0].reasons).toContain(
      'line 9: alters table "observations", which 20230518193415_add_observaionts_and_traces created',
    );
    expect(deps.every((d) => d.index > 0 && d.reasons.length > 0)).toBe(true);
    expect(ms).toBeLessThan(10_000);
  });

  it("leaves out the migration's own Method 2 rollback and folders without migration.sql; says which could not be read", async () => {
    const base = [
      { name: '20250101000000_profile', sql: 'CREATE TABLE "profile" ("id" TEXT PRIMARY KEY);' },
      { name: '20250102000000_add_bio', sql: 'ALTER TABLE "profile" ADD COLUMN "bio" TEXT;' },
    ];
    const own = { name: '20250103000000_rollback_add_bio', sql: 'ALTER TABLE "profile" DROP COLUMN "bio";' };
    const later = { name: '20250104000000_bio_index', sql: 'CREATE INDEX "b" ON "profile"("bio");' };
    const noFile = { name: '20250105000000_empty_folder', missing: true, error: 'ENOENT' };
    const unreadable = { name: '20250106000000_locked', error: 'EACCES: permission denied' };
    // Another migration's rollback that touches the same column is a real dependent.
    const other = {
      name: '20250107000000_rollback_profile',
      sql: 'ALTER TABLE "profile" DROP COLUMN "bio";',
    };
    const deps = await dependentMigrations([...base, own, later, noFile, unreadable, other], 1);
    expect(deps.map((d) => d.name)).toEqual([later.name, unreadable.name, other.name]);
    expect(deps[1].reasons).toEqual([
      'could not be checked: cannot read its migration.sql: EACCES: permission denied',
    ]);
    // Only its own rollback: nothing depends on it.
    expect(await dependentMigrations([...base, own], 1)).toEqual([]);
  });
});
