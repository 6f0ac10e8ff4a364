/**
 * The on-disk model cache (src/core/generator/model-cache.ts): a hit gives the model the history
 * builds, an edited migration is never answered from a stale model, and a damaged file is
 * ignored, deleted and rebuilt.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  buildSchemaModelCached,
  buildSchemaModelSync,
  generateRollback,
  type MigrationSource,
} from '../../src/core/generator';
import { serializeModel } from '../../src/core/generator/model-cache';
import { initSqlParser } from '../../src/core/sql';

const history: MigrationSource[] = [
  {
    name: '20240101000000_init',
    sql: 'CREATE TYPE "Role" AS ENUM (\'USER\', \'ADMIN\');\nCREATE TABLE "User" ("id" SERIAL NOT NULL, "email" TEXT NOT NULL, "role" "Role" NOT NULL DEFAULT \'USER\', CONSTRAINT "User_pkey" PRIMARY KEY ("id"));\nCREATE UNIQUE INDEX "User_email_key" ON "User"("email");\n',
  },
  {
    name: '20240102000000_post',
    sql: 'CREATE TABLE "Post" ("id" SERIAL NOT NULL, "title" VARCHAR(200) NOT NULL, "authorId" INTEGER NOT NULL, CONSTRAINT "Post_pkey" PRIMARY KEY ("id"));\nALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id") ON DELETE RESTRICT ON UPDATE CASCADE;\n',
  },
  {
    name: '20240103000000_title',
    sql: 'ALTER TABLE "Post" ALTER COLUMN "title" TYPE TEXT;\n',
  },
];

let dir: string;
beforeAll(async () => {
  await initSqlParser();
});
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'model-cache-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const files = async () => (await fs.readdir(dir)).filter((f) => f.endsWith('.model'));
const json = (r: { model: Parameters<typeof serializeModel>[0]; problems: string[] }) =>
  serializeModel(r.model, r.problems);

describe('model cache', () => {
  it('saves the model on a miss and answers the same model from disk on a hit', async () => {
    const fresh = buildSchemaModelSync(history);
    const miss = await buildSchemaModelCached(history, dir);
    expect(miss.fromCache).toBe(0);
    expect(await files()).toHaveLength(1);
    const hit = await buildSchemaModelCached(history, dir);
    expect(hit.fromCache).toBe(3);
    expect(json(hit)).toBe(json(fresh));
    expect(hit.model.tables.get('.Post')?.columns.map((c) => c.name)).toEqual(['id', 'title', 'authorId']);
    expect(hit.model.enums.get('.Role')?.labels).toEqual(['USER', 'ADMIN']);
  });

  it('gives down.sql identical to the uncached generator, from a cached model', async () => {
    const plain = await generateRollback(history, 2);
    await generateRollback(history, 2, { modelCacheDir: dir });
    const cached = await generateRollback(history, 2, { modelCacheDir: dir });
    expect(cached.sql).toBe(plain.sql);
    // the previous type comes from the cached model
    expect(cached.sql).toContain('ALTER TABLE "Post" ALTER COLUMN "title" TYPE varchar(200)');
  });

  it('folds forward from the longest cached prefix', async () => {
    await buildSchemaModelCached(history.slice(0, 2), dir);
    const r = await buildSchemaModelCached(history, dir);
    expect(r.fromCache).toBe(2);
    expect(json(r)).toBe(json(buildSchemaModelSync(history)));
    expect(await files()).toHaveLength(2);
  });

  it('never answers from a stale model when an earlier migration changes', async () => {
    await buildSchemaModelCached(history.slice(0, 2), dir);
    const edited = history.slice(0, 2).map((m) => ({ ...m }));
    edited[0].sql = edited[0].sql
      .replace('"email" TEXT NOT NULL', '"mail" TEXT NOT NULL')
      .replace('("email")', '("mail")');
    const r = await buildSchemaModelCached(edited, dir);
    expect(r.fromCache).toBe(0);
    expect(r.model.tables.get('.User')?.columns.map((c) => c.name)).toEqual(['id', 'mail', 'role']);
    expect(await files()).toHaveLength(2);
  });

  it('ignores, deletes and rebuilds a truncated entry', async () => {
    await buildSchemaModelCached(history, dir);
    const [file] = await files();
    const full = await fs.readFile(path.join(dir, file));
    await fs.writeFile(path.join(dir, file), full.subarray(0, full.length >> 1));
    const r = await buildSchemaModelCached(history, dir);
    expect(r.fromCache).toBe(0);
    expect(json(r)).toBe(json(buildSchemaModelSync(history)));
    // rebuilt: whole again, and a hit next time
    expect((await fs.readFile(path.join(dir, file))).equals(full)).toBe(true);
    expect((await buildSchemaModelCached(history, dir)).fromCache).toBe(3);
  });

  it('ignores an entry whose digest matches but which is not a model', async () => {
    await buildSchemaModelCached(history, dir);
    const [file] = await files();
    const payload = Buffer.from('{"model":{"tables":[]},"problems":[]}');
    const digest = createHash('sha256').update(payload).digest();
    await fs.writeFile(path.join(dir, file), Buffer.concat([digest, payload]));
    const r = await buildSchemaModelCached(history, dir);
    expect(r.fromCache).toBe(0);
    expect(r.model.tables.size).toBe(2);
    expect((await buildSchemaModelCached(history, dir)).fromCache).toBe(3);
  });

  it('keeps the parse problems of the history with the model', async () => {
    const broken = [
      ...history.slice(0, 1),
      { name: '20240102000000_bad', sql: 'CREATE TABLEX "Nope" ();\n' },
    ];
    await buildSchemaModelCached(broken, dir);
    const r = await buildSchemaModelCached(broken, dir);
    expect(r.fromCache).toBe(2);
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toContain('20240102000000_bad/migration.sql');
  });
});
