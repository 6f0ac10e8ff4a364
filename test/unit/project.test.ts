import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { discoverProjects, resolveEnvironments } from '../../src/core/project';
import type { PrismaProject } from '../../src/core/project/types';
import { copyFixture, FIXTURES, removeScratch, scratchDir, writeFiles } from './project-helpers';

afterAll(removeScratch);

const fixture = (name: string) => path.join(FIXTURES, name);

async function only(folder: string, trusted = true, env: NodeJS.ProcessEnv = {}): Promise<PrismaProject> {
  const projects = await discoverProjects([folder], { trusted, env });
  expect(projects.map((p) => p.label)).toHaveLength(1);
  return projects[0]!;
}

describe('discoverProjects: the whole fixtures folder', () => {
  it('lists every project once, bad ones included, and never throws', async () => {
    const started = performance.now();
    const projects = await discoverProjects([FIXTURES], { trusted: true, env: {} });
    const ms = performance.now() - started;
    const byLabel = Object.fromEntries(projects.map((p) => [p.label, p]));
    expect(Object.keys(byLabel).sort()).toEqual([
      'broken-config',
      'broken-schema',
      'monorepo/packages/api',
      'monorepo/packages/worker',
      'mysql',
      'neon-pooler',
      'prisma6',
      'prisma7',
      'prisma8',
      'prisma8-format',
    ]);
    const support = Object.fromEntries(
      projects.map((p) => [p.label, p.support.supported ? 'ok' : p.support.code]),
    );
    expect(support).toEqual({
      'broken-config': 'invalid',
      'broken-schema': 'invalid',
      'monorepo/packages/api': 'ok',
      'monorepo/packages/worker': 'ok',
      mysql: 'provider',
      'neon-pooler': 'ok',
      prisma6: 'ok',
      prisma7: 'ok',
      prisma8: 'prisma8',
      'prisma8-format': 'prisma8',
    });
    // Figures for the report (two config files are evaluated in child processes).
    const untrustedStart = performance.now();
    await discoverProjects([FIXTURES], { trusted: false, env: {} });
    const untrustedMs = performance.now() - untrustedStart;
    const warmStart = performance.now();
    await discoverProjects([FIXTURES], { trusted: true, env: {} });
    const warmMs = performance.now() - warmStart;
    console.log(
      `[discovery] ${projects.length} projects: first run ${ms.toFixed(0)} ms, again ${warmMs.toFixed(0)} ms, untrusted ${untrustedMs.toFixed(0)} ms`,
    );
  });
});

describe('Prisma 7 with prisma.config.ts', () => {
  it('evaluates the config like Prisma: schema, migrations.path, datasource.url via dotenv/config', async () => {
    const p = await only(fixture('prisma7'));
    expect(p.configFile).toBe(path.join(fixture('prisma7'), 'prisma.config.ts'));
    expect(p.schemaPath).toBe(path.join(fixture('prisma7'), 'prisma/schema.prisma'));
    expect(p.migrationsDir).toBe(path.join(fixture('prisma7'), 'prisma/migrations'));
    expect(p.provider).toBe('postgresql');
    expect(p.prismaMajor).toBe(7);
    expect(p.urlExpression).toEqual({ kind: 'config', envName: 'DATABASE_URL' });
    expect(p.envFiles).toEqual([path.join(fixture('prisma7'), '.env')]);
    expect(p.support).toEqual({ supported: true });
    // The value comes from .env, loaded by `import 'dotenv/config'` inside the config (cwd = project root).
    const [local] = await resolveEnvironments(p, undefined, { env: {} });
    expect(local).toMatchObject({
      name: 'local',
      protected: false,
      url: 'postgresql://app7:s3cret@localhost:5432/app7?schema=public',
      source: 'datasource.url of prisma.config.ts',
    });
    expect(local!.problem).toBeUndefined();
  });

  it('gives the process environment precedence over .env, as dotenv does', async () => {
    const url = 'postgresql://from-process:pw@db.example.com:5432/app';
    const p = await only(fixture('prisma7'), true, { DATABASE_URL: url });
    const [local] = await resolveEnvironments(p, undefined, { env: { DATABASE_URL: url } });
    expect(local!.url).toBe(url);
  });

  it('reuses an evaluation until the config, its .env or the environment changes', async () => {
    const dir = await copyFixture('prisma7');
    const t0 = performance.now();
    const first = await only(dir);
    const firstMs = performance.now() - t0;
    const t1 = performance.now();
    const again = await only(dir);
    const againMs = performance.now() - t1;
    expect((await resolveEnvironments(again, undefined, { env: {} }))[0]!.url).toBe(
      'postgresql://app7:s3cret@localhost:5432/app7?schema=public',
    );
    expect(againMs).toBeLessThan(firstMs / 2);
    console.log(
      `[discovery] Prisma 7 project: evaluated ${firstMs.toFixed(0)} ms, cached ${againMs.toFixed(0)} ms`,
    );
    await fs.writeFile(
      path.join(dir, '.env'),
      'DATABASE_URL=postgresql://changed:pw@localhost:5432/changed\n',
    );
    const changed = await only(dir);
    expect((await resolveEnvironments(changed, undefined, { env: {} }))[0]!.url).toBe(
      'postgresql://changed:pw@localhost:5432/changed',
    );
    expect(first.urlExpression).toEqual(changed.urlExpression);
  });

  it('reads paths the config computes (which only evaluation can know)', async () => {
    const dir = await scratchDir('computed');
    await writeFiles(dir, {
      'package.json': '{ "devDependencies": { "prisma": "7.10.0" } }',
      'prisma.config.ts': [
        "import path from 'node:path';",
        "import { defineConfig } from 'prisma/config';",
        "const base = ['data', 'base'].join('/');",
        'export default defineConfig({',
        "  schema: path.join(base, 'main.prisma'),",
        "  migrations: { path: path.join(base, 'history') },",
        "  datasource: { url: process.env.APP_DB ?? 'postgresql://u:p@localhost:5432/fallback' },",
        '});',
      ].join('\n'),
      'data/base/main.prisma': 'datasource db {\n  provider = "postgresql"\n}\n',
      'data/base/history/migration_lock.toml': 'provider = "postgresql"\n',
      'data/base/history/20240101000000_a/migration.sql': 'SELECT 1;\n',
    });
    const p = await only(dir, true, { APP_DB: 'postgresql://x:y@h:5432/d' });
    expect(p.schemaPath).toBe(path.join(dir, 'data/base/main.prisma'));
    expect(p.migrationsDir).toBe(path.join(dir, 'data/base/history'));
    expect(p.urlExpression).toEqual({ kind: 'config', envName: 'APP_DB' });
    expect(p.support.supported).toBe(true);
    const untrusted = await only(dir, false);
    // Statically only the defaults are knowable: the schema is not where the config says.
    expect(untrusted.schemaPath).not.toBe(path.join(dir, 'data/base/main.prisma'));
  });

  it('a migration_lock.toml provider that disagrees with the schema is that mismatch, naming both files', async () => {
    const shapes: [lock: string, schema: string][] = [
      ['mysql', 'postgresql'],
      ['postgresql', 'mysql'],
      ['sqlite', 'postgresql'],
    ];
    for (const [lock, schemaProvider] of shapes) {
      const dir = await scratchDir('mismatch');
      await writeFiles(dir, {
        'prisma/schema.prisma': `datasource db {\n  provider = "${schemaProvider}"\n  url = env("DATABASE_URL")\n}\n`,
        'prisma/migrations/migration_lock.toml': `provider = "${lock}"\n`,
        'prisma/migrations/20240101000000_a/migration.sql': 'SELECT 1;\n',
      });
      const p = await only(dir, true, {});
      expect(p.support).toMatchObject({ supported: false, code: 'providerMismatch' });
      const reason = p.support.supported ? '' : p.support.reason;
      expect(reason).toContain(`prisma/migrations/migration_lock.toml says provider "${lock}"`);
      expect(reason).toContain(`prisma/schema.prisma says "${schemaProvider}"`);
      expect(reason).not.toMatch(/not supported/);
    }
  });

  it('still lists the project when the config reads an unset variable, and names it', async () => {
    const dir = await copyFixture('prisma7');
    await fs.rm(path.join(dir, '.env'));
    const p = await only(dir, true, {});
    expect(p.support).toEqual({ supported: true });
    expect(p.migrationsDir).toBe(path.join(dir, 'prisma/migrations'));
    expect(p.urlExpression).toEqual({ kind: 'config', envName: 'DATABASE_URL' });
    const [local] = await resolveEnvironments(p, undefined, { env: {} });
    expect(local!.url).toBeUndefined();
    expect(local!.problem).toBe(
      'DATABASE_URL is not set: add it to .env or the environment (no .env file found).',
    );
    const [fromSecret] = await resolveEnvironments(p, undefined, {
      env: {},
      secret: async (name) => (name === 'local' ? 'postgresql://stored:pw@localhost:5432/s' : undefined),
    });
    expect(fromSecret).toMatchObject({
      url: 'postgresql://stored:pw@localhost:5432/s',
      source: 'connection string stored in VS Code',
    });
  });

  it('Prisma 6 config our loader rejects: paths from its text, URL from the schema, still supported', async () => {
    const dir = await scratchDir('prisma6-config');
    await writeFiles(dir, {
      'package.json': '{ "devDependencies": { "prisma": "6.16.0" } }',
      'prisma.config.ts': [
        "import type { PrismaConfig } from 'prisma';",
        "export default { earlyAccess: true, schema: 'db/schema.prisma' } satisfies PrismaConfig;",
      ].join('\n'),
      'db/schema.prisma': 'datasource db {\n  provider = "postgresql"\n  url = env("DATABASE_URL")\n}\n',
      'db/migrations/20240101000000_a/migration.sql': 'SELECT 1;\n',
      '.env': 'DATABASE_URL=postgresql://six:pw@localhost:5432/six\n',
    });
    const p = await only(dir);
    expect(p.support).toEqual({ supported: true });
    expect(p.schemaPath).toBe(path.join(dir, 'db/schema.prisma'));
    expect(p.migrationsDir).toBe(path.join(dir, 'db/migrations'));
    expect(p.urlExpression).toEqual({ kind: 'env', name: 'DATABASE_URL' });
    expect(p.warnings).toEqual([
      expect.stringMatching(
        /^prisma\.config\.ts could not be loaded \(the config does not have the shape Prisma expects: \["earlyAccess"\] is unexpected, expected: "experimental" \| .*\): prisma\.config\.ts was read as text, not evaluated/,
      ),
    ]);
    const [local] = await resolveEnvironments(p, undefined, { env: {} });
    expect(local!.url).toBe('postgresql://six:pw@localhost:5432/six');
  });

  it('marks a config that throws as invalid with its error, listing the others', async () => {
    const projects = await discoverProjects([fixture('broken-config'), fixture('prisma6')], {
      trusted: true,
      env: {},
    });
    expect(projects.map((p) => p.label)).toEqual(['broken-config', 'prisma6']);
    expect(projects[0]!.support).toEqual({
      supported: false,
      code: 'invalid',
      reason: 'prisma.config.ts could not be loaded: config exploded while computing the URL',
    });
    expect(projects[1]!.support.supported).toBe(true);
  });
});

describe('untrusted workspace', () => {
  it('reads files only: the config is not evaluated and the URL is unavailable', async () => {
    const dir = await copyFixture('prisma7');
    const marker = path.join(dir, 'evaluated.txt');
    const config = await fs.readFile(path.join(dir, 'prisma.config.ts'), 'utf8');
    await fs.writeFile(
      path.join(dir, 'prisma.config.ts'),
      `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(marker)}, 'yes');\n${config}`,
    );
    const p = await only(dir, false);
    await expect(fs.stat(marker)).rejects.toThrow();
    expect(p.configFile).toBe(path.join(dir, 'prisma.config.ts'));
    // The literal `schema` and `migrations.path` are read from the text.
    expect(p.schemaPath).toBe(path.join(dir, 'prisma/schema.prisma'));
    expect(p.migrationsDir).toBe(path.join(dir, 'prisma/migrations'));
    expect(p.provider).toBe('postgresql');
    expect(p.urlExpression).toBeUndefined();
    expect(p.urlUnavailable).toMatch(/workspace is not trusted/);
    expect(p.warnings.join('\n')).toMatch(/not trusted: prisma\.config\.ts was read as text, not evaluated/);
    const [local] = await resolveEnvironments(p, undefined, { env: {} });
    expect(local!.url).toBeUndefined();
    expect(local!.problem).toMatch(/workspace is not trusted/);

    // The same project, trusted, does run the config.
    await only(dir, true);
    expect(await fs.readFile(marker, 'utf8')).toBe('yes');
  });

  it('still reads a Prisma 6 schema URL expression (a file, nothing evaluated)', async () => {
    const p = await only(fixture('prisma6'), false);
    expect(p.urlExpression).toEqual({ kind: 'env', name: 'DIRECT_URL' });
  });
});

describe('Prisma 6 schema with url + directUrl and .env files', () => {
  it('uses directUrl for migrations and Prisma’s .env precedence (root .env before prisma/.env)', async () => {
    const p = await only(fixture('prisma6'));
    expect(p.prismaMajor).toBe(6);
    expect(p.configFile).toBeUndefined();
    expect(p.urlExpression).toEqual({ kind: 'env', name: 'DIRECT_URL' });
    expect(p.envFiles).toEqual([
      path.join(fixture('prisma6'), '.env'),
      path.join(fixture('prisma6'), 'prisma/.env'),
    ]);
    const [local] = await resolveEnvironments(p, undefined, { env: {} });
    expect(local).toMatchObject({
      url: 'postgresql://root-wins:pw@localhost:5432/rootenv',
      source: 'DIRECT_URL in .env',
      warnings: [],
    });
    const [fromProcess] = await resolveEnvironments(p, undefined, {
      env: { DIRECT_URL: 'postgresql://p:q@process:5432/x' },
    });
    expect(fromProcess!.url).toBe('postgresql://p:q@process:5432/x');
  });

  it('resolves configured environments: urlEnv, envFile, protected, pooler warnings', async () => {
    const p = await only(fixture('prisma6'));
    const envs = await resolveEnvironments(
      p,
      [
        { name: 'local' },
        { name: 'pooled', urlEnv: 'DATABASE_URL' },
        { name: 'staging', urlEnv: 'STAGING_DATABASE_URL' },
        {
          name: 'production',
          urlEnv: 'PRODUCTION_DATABASE_URL',
          envFile: '.env.production',
          protected: true,
        },
        { name: 'qa', urlEnv: 'QA_DATABASE_URL' },
      ],
      { env: {} },
    );
    expect(envs.map((e) => e.name)).toEqual(['local', 'pooled', 'staging', 'production', 'qa']);
    const [, pooled, staging, production, qa] = envs;
    // prisma/.env has CRLF line endings: the value must not keep the \r.
    expect(pooled!.url).toBe(
      'postgresql://postgres.abcd:pw@aws-0-eu-west-1.pooler.supabase.com:6543/postgres?pgbouncer=true',
    );
    expect(pooled!.source).toBe('DATABASE_URL in prisma/.env');
    expect(pooled!.warnings).toHaveLength(1);
    expect(pooled!.warnings[0]).toMatch(/Supabase's transaction pooler \(port 6543\)/);
    expect(pooled!.warnings[0]).toContain(
      'postgresql://postgres.abcd:***@aws-0-eu-west-1.pooler.supabase.com:5432/postgres',
    );
    expect(staging).toMatchObject({
      url: 'postgresql://stage:pw@staging.example.com:5432/app',
      protected: false,
    });
    expect(production).toMatchObject({
      protected: true,
      source: 'PRODUCTION_DATABASE_URL in .env.production',
    });
    expect(production!.warnings[0]).toMatch(/Neon pooled endpoint/);
    expect(production!.warnings[0]).toContain('ep-cool-name-123456.eu-central-1.aws.neon.tech');
    expect(qa!.problem).toBe(
      'QA_DATABASE_URL is not set: add it to prisma/.env or the environment (searched the environment, .env, prisma/.env).',
    );
    // No password in anything shown to the user.
    for (const e of envs) {
      const shown = [e.source, e.problem, ...e.warnings].join('\n');
      expect(shown).not.toMatch(/:pw@/);
    }
  });
});

describe('monorepo', () => {
  it('finds both packages, skips build/ and node_modules/, takes the version from the root package.json', async () => {
    const dir = await copyFixture('monorepo');
    await writeFiles(dir, {
      'node_modules/some-lib/prisma/schema.prisma': 'datasource db {\n  provider = "postgresql"\n}\n',
      'node_modules/some-lib/package.json': '{ "prisma": { "schema": "prisma/schema.prisma" } }',
    });
    const projects = await discoverProjects([dir], { trusted: true, env: {} });
    expect(projects.map((p) => p.label)).toEqual(['packages/api', 'packages/worker']);
    const [api, worker] = projects;
    expect(api!.schemaPath).toBe(path.join(dir, 'packages/api/db/schema.prisma'));
    expect(api!.migrationsDir).toBe(path.join(dir, 'packages/api/db/migrations'));
    expect(api!.prismaMajor).toBe(6);
    expect(api!.prismaVersionSource).toBe('../../package.json (prisma 6.16.2)');
    expect(worker!.schemaPath).toBe(path.join(dir, 'packages/worker/prisma/schema'));
    expect(worker!.migrationsDir).toBe(path.join(dir, 'packages/worker/prisma/schema/migrations'));
    expect(worker!.urlExpression).toEqual({ kind: 'env', name: 'WORKER_DATABASE_URL' });

    const [apiLocal, expanded] = await resolveEnvironments(
      api!,
      [{ name: 'local' }, { name: 'expanded', urlEnv: 'API_EXPANDED_URL' }],
      { env: {} },
    );
    expect(apiLocal!.url).toBe('postgresql://api:pw@localhost:5432/api');
    // ${API_HOST} is expanded as Prisma's dotenvExpand does.
    expect(expanded!.url).toBe('postgresql://api:pw@db.internal:5432/api');
    const [workerLocal] = await resolveEnvironments(worker!, undefined, { env: {} });
    expect(workerLocal!.problem).toBe(
      'WORKER_DATABASE_URL is not set: add it to prisma/.env or the environment (no .env file found).',
    );
  });

  it('searches several workspace folders and labels each project relative to its folder', async () => {
    const projects = await discoverProjects([fixture('mysql'), fixture('monorepo')], {
      trusted: true,
      env: {},
    });
    expect(projects.map((p) => p.label).sort()).toEqual(['mysql', 'packages/api', 'packages/worker']);
    expect(projects.find((p) => p.label === 'mysql')!.workspaceFolder).toBe(fixture('mysql'));
  });
});

describe('unsupported projects are listed with a clear reason', () => {
  it('MySQL', async () => {
    const p = await only(fixture('mysql'));
    expect(p.provider).toBe('mysql');
    expect(p.support).toEqual({
      supported: false,
      code: 'provider',
      reason: 'MySQL projects are not supported yet: Prisma Rollback works with PostgreSQL.',
    });
  });

  it('Prisma 8 by the migration format (ops.json)', async () => {
    const p = await only(fixture('prisma8-format'));
    expect(p.support).toMatchObject({ supported: false, code: 'prisma8' });
    expect(p.support.supported === false && p.support.reason).toMatch(
      /^Prisma 8 migrations are not supported yet: prisma\/migrations\/20260101000000_next\/ops\.json/,
    );
  });

  it('Prisma 8 by the version in package.json', async () => {
    const p = await only(fixture('prisma8'));
    expect(p.prismaMajor).toBe(8);
    expect(p.support).toMatchObject({ supported: false, code: 'prisma8' });
    const dir = await scratchDir('prisma8-version');
    await writeFiles(dir, {
      'package.json': '{ "dependencies": { "@prisma/client": "^8.1.0" } }',
      'prisma/schema.prisma': 'datasource db {\n  provider = "postgresql"\n}\n',
      'prisma/migrations/20240101000000_a/migration.sql': 'SELECT 1;\n',
    });
    const v = await only(dir);
    expect(v.support).toEqual({
      supported: false,
      code: 'prisma8',
      reason:
        'Prisma 8 is not supported yet (package.json (@prisma/client ^8.1.0)): its new migration format (migration.json/ops.json) differs. Prisma Rollback works with Prisma 5–7.',
    });
  });

  it('a broken schema, with Prisma’s own error and location', async () => {
    const p = await only(fixture('broken-schema'));
    expect(p.support).toMatchObject({ supported: false, code: 'invalid' });
    const reason = p.support.supported === false ? p.support.reason : '';
    expect(reason).toMatch(/^The Prisma schema is invalid:/);
    expect(reason).toContain('Type "Strin" is neither a built-in type');
    expect(reason).toContain('prisma/schema.prisma:8');
  });

  it('a Prisma 7 project whose schema still holds url (Prisma 7 rejects it)', async () => {
    const dir = await scratchDir('prisma7-url');
    await writeFiles(dir, {
      'package.json': '{ "devDependencies": { "prisma": "^7.0.0" } }',
      'prisma/schema.prisma': 'datasource db {\n  provider = "postgresql"\n  url = env("DATABASE_URL")\n}\n',
      'prisma/migrations/20240101000000_a/migration.sql': 'SELECT 1;\n',
    });
    const p = await only(dir);
    expect(p.support).toMatchObject({ supported: false, code: 'invalid' });
    expect(p.support.supported === false && p.support.reason).toMatch(
      /^Prisma 7 rejects this schema: The datasource property `url` is no longer supported/,
    );
  });

  it('a project without a migrations folder', async () => {
    const dir = await scratchDir('no-migrations');
    await writeFiles(dir, {
      'package.json': '{ "devDependencies": { "prisma": "6.0.0" } }',
      'schema.prisma':
        'datasource db {\n  provider = "postgresql"\n  url = "postgresql://u:p@localhost/db"\n}\n',
    });
    const p = await only(dir);
    expect(p.migrationsDir).toBe(path.join(dir, 'migrations'));
    expect(p.urlExpression).toEqual({ kind: 'literal', value: 'postgresql://u:p@localhost/db' });
    expect(p.support).toEqual({
      supported: false,
      code: 'noMigrations',
      reason: 'No migrations folder yet (migrations): create the first migration with `prisma migrate dev`.',
    });
  });

  it('a package.json without Prisma is not a project; a broken package.json is skipped', async () => {
    const dir = await scratchDir('plain');
    await writeFiles(dir, { 'package.json': '{ "name": "x" }', 'sub/package.json': '{ not json' });
    expect(await discoverProjects([dir], { trusted: true, env: {} })).toEqual([]);
  });
});
