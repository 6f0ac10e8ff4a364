import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { findPrismaConfigFile } from '@prisma/config';
import { afterAll, describe, expect, it } from 'vitest';
import { configModulePath } from '../../src/core/project/config-file';
import { findConfigFile, staticConfigPaths } from '../../src/core/project/discover';
import { parseUrlProperty, readSchemaFacts } from '../../src/core/project/schema';
import { majorFromLockfile, majorOfRange } from '../../src/core/project/version';
import { removeScratch, scratchDir, writeFiles } from './project-helpers';

afterAll(removeScratch);

describe('datasource URL properties (Prisma ≤ 6) read through Prisma’s parser', () => {
  it('parses env("X") and string literals', () => {
    expect(parseUrlProperty('url = env("DATABASE_URL")')).toEqual({ kind: 'env', name: 'DATABASE_URL' });
    expect(parseUrlProperty('directUrl   =   env( "DIRECT_URL" )')).toEqual({
      kind: 'env',
      name: 'DIRECT_URL',
    });
    expect(parseUrlProperty('url = "postgresql://u:p@h/db?x=\\"y\\""')).toEqual({
      kind: 'literal',
      value: 'postgresql://u:p@h/db?x="y"',
    });
    expect(parseUrlProperty('url = environment("X")')).toBeUndefined();
    expect(parseUrlProperty('url')).toBeUndefined();
  });

  it('locates url/directUrl by the parser’s span, also after non-ASCII and astral text, and ignores commented ones', async () => {
    const schema = [
      '// Schéma für Ünïcode — “quotes” 日本語 😀🚀',
      'datasource db {',
      '  provider  = "postgresql"',
      '  // url = env("COMMENTED_OUT")',
      '  url       = env("POOLED_URL") // trailing comment',
      '  directUrl = env("DIRECT_URL")',
      '}',
      'model A {',
      '  id Int @id',
      '}',
      '',
    ].join('\n');
    const root = '/virtual';
    const facts = await readSchemaFacts(
      {
        schemaPath: '/virtual/prisma/schema.prisma',
        schemaRootDir: '/virtual/prisma',
        files: [['/virtual/prisma/schema.prisma', schema]],
      },
      root,
    );
    expect(facts).toMatchObject({
      provider: 'postgresql',
      url: { kind: 'env', name: 'POOLED_URL' },
      directUrl: { kind: 'env', name: 'DIRECT_URL' },
    });
    expect(facts.error).toBeUndefined();
    expect(facts.urlInSchemaMessage).toMatch(/datasource property `url` is no longer supported/);
  });

  it('a Prisma 7 schema (no URL) and a multi-file schema', async () => {
    const facts = await readSchemaFacts(
      {
        schemaPath: '/v/prisma/schema',
        schemaRootDir: '/v/prisma/schema',
        files: [
          ['/v/prisma/schema/db.prisma', 'datasource db {\n  provider = "cockroachdb"\n}\n'],
          ['/v/prisma/schema/models.prisma', 'model B {\n  id Int @id\n}\n'],
        ],
      },
      '/v',
    );
    expect(facts).toEqual({ provider: 'cockroachdb' });
  });

  it('reports a schema without datasource', async () => {
    const facts = await readSchemaFacts(
      {
        schemaPath: '/v/schema.prisma',
        schemaRootDir: '/v',
        files: [['/v/schema.prisma', 'model C {\n  id Int @id\n}\n']],
      },
      '/v',
    );
    expect(facts.error).toBe('The schema has no datasource block.');
  });
});

describe('config file lookup mirrors @prisma/config', () => {
  for (const file of [
    'prisma.config.ts',
    'prisma.config.mjs',
    '.config/prisma.ts',
    'prisma.config/index.js',
  ]) {
    it(file, async () => {
      const dir = await scratchDir('cfg');
      await writeFiles(dir, { [file]: 'export default {};\n' });
      const ours = await findConfigFile(dir);
      expect(ours).toBe(path.join(dir, file));
      expect(ours).toBe(findPrismaConfigFile(dir));
    });
  }

  it('reads literal schema and migrations.path statically, ignoring comments', () => {
    expect(
      staticConfigPaths(`
        // schema: 'commented.prisma',
        export default defineConfig({
          schema: "db/schema.prisma",
          migrations: { seed: 'tsx seed.ts', path: 'db/migrations' },
          datasource: { url: env('DATABASE_URL') },
        })`),
    ).toEqual({ schema: 'db/schema.prisma', migrationsPath: 'db/migrations' });
    expect(staticConfigPaths('export default defineConfig({ schema: path.join(a, b) })')).toEqual({
      schema: undefined,
      migrationsPath: undefined,
    });
  });
});

describe('Prisma version', () => {
  it('major of a dependency range', () => {
    expect(majorOfRange('^6.19.0')).toBe(6);
    expect(majorOfRange('~7.1')).toBe(7);
    expect(majorOfRange('5.x')).toBe(5);
    expect(majorOfRange('7.10.0')).toBe(7);
    expect(majorOfRange('8.0.0-dev.12')).toBe(8);
    expect(majorOfRange('latest')).toBeUndefined();
    expect(majorOfRange('workspace:*')).toBeUndefined();
    expect(majorOfRange('>=6')).toBeUndefined();
    expect(majorOfRange('catalog:')).toBeUndefined();
  });

  it('from each lock file format', () => {
    expect(
      majorFromLockfile(
        'package-lock.json',
        JSON.stringify({ packages: { '': {}, 'node_modules/prisma': { version: '6.19.0' } } }),
      ),
    ).toBe(6);
    expect(
      majorFromLockfile('pnpm-lock.yaml', "packages:\n\n  '@prisma/client@7.2.0':\n    resolution: {}\n"),
    ).toBe(7);
    expect(majorFromLockfile('pnpm-lock.yaml', 'packages:\n  /prisma@5.22.0:\n    resolution: {}\n')).toBe(5);
    expect(majorFromLockfile('yarn.lock', 'prisma@^6.1.0:\n  version "6.3.1"\n  resolved "x"\n')).toBe(6);
    expect(
      majorFromLockfile(
        'yarn.lock',
        '"prisma@npm:^7.0.0":\n  version: 7.10.0\n  resolution: "prisma@npm:7.10.0"\n',
      ),
    ).toBe(7);
    expect(majorFromLockfile('bun.lock', '"prisma": ["prisma@6.8.2", "", {}, "sha512-x"],')).toBe(6);
    expect(majorFromLockfile('yarn.lock', 'prisma-foo@^1.0.0:\n  version "1.0.0"\n')).toBeUndefined();
  });
});

describe('which @prisma/config evaluates a config', () => {
  it("falls back to the one the project's own prisma depends on (the .vsix ships no node_modules)", async () => {
    const fixture = path.resolve(__dirname, '../fixtures/projects/prisma7');
    const own = configModulePath(fixture);
    const project = configModulePath(fixture, false);
    expect(project).toBeDefined();
    expect(path.basename(path.dirname(path.dirname(project!)))).toBe('config');
    expect(own).toBeDefined();
    const outside = await fs.mkdtemp(path.join(os.tmpdir(), 'no-prisma-'));
    try {
      expect(configModulePath(outside, false)).toBeUndefined();
    } finally {
      await fs.rm(outside, { recursive: true, force: true });
    }
  });
});
