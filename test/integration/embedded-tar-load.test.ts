/**
 * A data-directory dump is written into PGlite's file system by ./pgdata-tar.ts instead of PGlite's
 * own `loadDataDir` (issue 14: ~0.1 s against ~0.5–0.8 s for an 800-migration state). Checked on
 * real PGlite instances: the copy holds every file of the dumped data directory byte for byte, the
 * loaded database has the same schema and rows and takes writes, and a tar that is not a whole
 * data directory is refused.
 */
import { gzipSync } from 'node:zlib';
import type { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbedded } from '../../src/core/verify/embedded';
import { type EmscriptenFs, writeDataDirTar } from '../../src/core/verify/pgdata-tar';
import { snapshotSchema } from '../../src/core/verify/snapshot';

let source: PGlite;
let tar: Uint8Array<ArrayBuffer>;

beforeAll(async () => {
  source = await startEmbedded();
  await source.exec(`
    CREATE TABLE "User" ("id" SERIAL PRIMARY KEY, "email" TEXT NOT NULL UNIQUE);
    CREATE INDEX "User_email_lower" ON "User" (lower("email"));
    CREATE TYPE "Role" AS ENUM ('ADMIN', 'USER');
    INSERT INTO "User" ("email") SELECT 'u' || g || '@x.test' FROM generate_series(1, 500) g;
    CHECKPOINT;
  `);
  tar = new Uint8Array(await (await source.dumpDataDir('none')).arrayBuffer());
}, 120_000);

afterAll(async () => {
  await source?.close();
});

type Fs = EmscriptenFs & {
  readdir(path: string): string[];
  stat(path: string): { mode: number };
  isDir(mode: number): boolean;
  readFile(path: string): Uint8Array;
};
const fsOf = (db: PGlite) => db.Module.FS as unknown as Fs;
const PGDATA = (db: PGlite) => db.Module.ENV.PGDATA as string;

/** Every file and directory under `root`, relative, with the bytes of the files. */
function tree(fs: Fs, root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string) => {
    for (const name of fs.readdir(`${root}${rel}`)) {
      if (name === '.' || name === '..') continue;
      const p = `${rel}/${name}`;
      if (fs.isDir(fs.stat(`${root}${p}`).mode)) {
        out.set(`${p}/`, '');
        walk(p);
      } else out.set(p, Buffer.from(fs.readFile(`${root}${p}`)).toString('base64'));
    }
  };
  walk('');
  return out;
}

describe('loading a data-directory dump (pgdata-tar)', () => {
  it('copies every file and directory of the data directory byte for byte', async () => {
    const other = await startEmbedded();
    try {
      const n = writeDataDirTar(fsOf(other), '/tmp/copy', tar);
      const expected = tree(fsOf(source), PGDATA(source));
      expect(tree(fsOf(other), '/tmp/copy')).toEqual(expected);
      expect(n).toBe([...expected.keys()].filter((k) => !k.endsWith('/')).length);
    } finally {
      await other.close();
    }
  }, 60_000);

  it('starts a database with the same schema and rows, from the tar or gzipped, and takes writes', async () => {
    const expected = await snapshotSchema((q) => source.query(q));
    for (const dump of [new Blob([tar]), gzipSync(tar)]) {
      const db = await startEmbedded([], { loadDataDir: dump });
      try {
        expect(await snapshotSchema((q) => db.query(q))).toEqual(expected);
        const count = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM "User"');
        expect(count.rows[0].n).toBe(500);
        // Grows the table's file past the bytes it was given (MEMFS moves it to its own buffer).
        await db.exec(
          `INSERT INTO "User" ("email") SELECT 'v' || g || '@x.test' FROM generate_series(1, 2000) g; CHECKPOINT;`,
        );
        const after = await db.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM "User" WHERE "email" LIKE \'u%\'',
        );
        expect(after.rows[0].n).toBe(500);
      } finally {
        await db.close();
      }
    }
    // The source's files were not touched by the writes to the copies (they shared no bytes).
    const count = await source.query<{ n: number }>('SELECT count(*)::int AS n FROM "User"');
    expect(count.rows[0].n).toBe(500);
  }, 120_000);

  it('refuses a truncated tar and a tar that is not a data directory', async () => {
    const truncated = tar.subarray(0, Math.floor(tar.length / 2));
    await expect(startEmbedded([], { loadDataDir: truncated })).rejects.toThrow(
      /not a PostgreSQL data directory PGlite made \((.+ runs past the end|no PG_VERSION)\)/,
    );
    // One file "notes.txt" in ustar format, as tar(1) would write it.
    const header = Buffer.alloc(512);
    header.write('notes.txt', 0, 'latin1');
    header.write('0000644\0', 100, 'latin1');
    header.write('00000000005\0', 124, 'latin1');
    header.write('0', 156, 'latin1');
    header.write('ustar\x0000', 257, 'latin1');
    const other = Buffer.concat([header, Buffer.from('hello'), Buffer.alloc(507 + 1024)]);
    await expect(startEmbedded([], { loadDataDir: other })).rejects.toThrow(/\(no PG_VERSION\)/);
    await expect(startEmbedded([], { loadDataDir: Buffer.alloc(4096, 7) })).rejects.toThrow(
      /\(no ustar header at byte 0\)/,
    );
  }, 60_000);
});
