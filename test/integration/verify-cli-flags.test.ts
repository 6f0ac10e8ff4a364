/**
 * `verify`'s flags do what they say in every mode, or are refused in one line (found by hand,
 * break15): `verify <m> --generate` ignored --generate and answered "has no rollback … Generate
 * one with `prisma-rollback down`"; `--prisma-diff` and `--rollback FILE` were silently ignored
 * by `--all` and `--to` (a user reading "✓" believed Prisma's second opinion, or their file, was
 * part of the proof).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { disposeEmbeddedVerifier } from '../../src/core/verify';
import { runCliLines } from '../support/cli';
import { prismaPackageJson, SCHEMA_WITH_URL_ENV, type TempProject, tempProject } from '../support/project';

const A = '20240101000000_init';
const B = '20240102000000_bio';

describe('verify flags in every mode', () => {
  let mig: TempProject | undefined;
  afterEach(async () => {
    await mig?.cleanup();
    mig = undefined;
    await disposeEmbeddedVerifier();
  });
  async function project() {
    mig = await tempProject({
      packageJson: prismaPackageJson(),
      schema: SCHEMA_WITH_URL_ENV,
      migrations: {
        [A]: 'CREATE TABLE "User" ("id" SERIAL PRIMARY KEY);\n',
        [B]: 'ALTER TABLE "User" ADD COLUMN "bio" TEXT;\n',
      },
    });
    return mig;
  }
  const cli = (...argv: string[]) => runCliLines(argv, mig!.root, { PATH: process.env.PATH });

  it('verify <m> --generate verifies the rollback generated in memory when the migration has none', async () => {
    await project();
    const r = await cli('verify', B, '--generate', '--no-cache');
    expect(r.code).toBe(0);
    expect(r.out.split('\n')[0]).toMatch(
      new RegExp(
        `^✓ ${B} \\(generated\\) restores the schema before ${B} \\(verified against 2 migrations in the embedded PostgreSQL · `,
      ),
    );
    // nothing written: in memory
    expect(await import('node:fs/promises').then((fs) => fs.readdir(`${mig!.dir}/${B}`))).toEqual([
      'migration.sql',
    ]);
  }, 120_000);

  it('--prisma-diff and --rollback are refused with --all and --to, in one line, exit 2', async () => {
    await project();
    for (const argv of [
      ['verify', '--all', '--prisma-diff'],
      ['verify', '--to', A, '--prisma-diff'],
    ]) {
      const r = await cli(...argv);
      expect(r).toEqual({
        code: 2,
        out: '',
        err: expect.stringMatching(
          /^--prisma-diff asks Prisma's engine about one migration: name it \(not --all or --to\)\.\n/,
        ),
      });
    }
    for (const argv of [
      ['verify', '--all', '--rollback', 'x.sql'],
      ['verify', '--to', A, '--rollback', 'x.sql'],
    ]) {
      const r = await cli(...argv);
      expect(r).toEqual({
        code: 2,
        out: '',
        err: expect.stringMatching(
          /^--rollback FILE is the rollback of one migration: name it \(not --all or --to, which read each migration's down\.sql\)\.\n/,
        ),
      });
    }
  });
});
