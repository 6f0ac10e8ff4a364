// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are .env syntax, not templates
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  discoverProjects,
  expandEnvValue,
  poolerWarning,
  readEnvFile,
  resolveEnvironments,
} from '../../src/core/project';
import type { PrismaProject } from '../../src/core/project/types';
import { removeScratch, scratchDir, writeFiles } from './project-helpers';

afterAll(removeScratch);

describe('poolerWarning', () => {
  it('Supabase transaction pooler: names port 5432 and the direct connection, masked', () => {
    const w = poolerWarning(
      'postgresql://postgres.ref:hunter2@aws-0-us-east-1.pooler.supabase.com:6543/postgres?pgbouncer=true&connection_limit=1',
    );
    expect(w).toBeDefined();
    expect(w).toMatch(
      /^aws-0-us-east-1\.pooler\.supabase\.com:6543\/postgres is Supabase's transaction pooler/,
    );
    expect(w).toMatch(/advisory lock/);
    expect(w).toContain(
      'postgresql://postgres.ref:***@aws-0-us-east-1.pooler.supabase.com:5432/postgres?connection_limit=1',
    );
    expect(w).toMatch(/Direct connection/);
    expect(w).not.toContain('hunter2');
  });

  it('Neon -pooler host: names the host without -pooler', () => {
    const w = poolerWarning(
      'postgres://u:secret@ep-round-frog-123-pooler.eu-central-1.aws.neon.tech/db?sslmode=require',
    );
    expect(w).toContain('ep-round-frog-123.eu-central-1.aws.neon.tech/db?sslmode=require');
    expect(w).toMatch(/Neon pooled endpoint/);
    expect(w).not.toContain('secret');
  });

  it('any pgbouncer=true URL or port 6543', () => {
    expect(poolerWarning('postgresql://u:p@pgbouncer.internal:6432/app?pgbouncer=true')).toMatch(
      /has pgbouncer=true: .*directUrl/,
    );
    expect(poolerWarning('postgresql://u:p@10.0.0.5:6543/app')).toMatch(/port 6543/);
  });

  it('no warning for direct connections or unparseable strings', () => {
    expect(poolerWarning('postgresql://u:p@db.abcd.supabase.co:5432/postgres')).toBeUndefined();
    expect(poolerWarning('postgresql://u:p@ep-round-frog-123.eu-central-1.aws.neon.tech/db')).toBeUndefined();
    expect(poolerWarning('postgresql://u:p@localhost:5432/app')).toBeUndefined();
    expect(poolerWarning('not a url')).toBeUndefined();
  });
});

describe('.env parsing', () => {
  it('reads CRLF files with dotenv and returns undefined for a missing file', async () => {
    const dir = await scratchDir('dotenv');
    await fs.writeFile(path.join(dir, '.env'), 'A=one\r\nB="two words"\r\n# comment\r\nexport C=three\r\n');
    expect(await readEnvFile(path.join(dir, '.env'))).toEqual({ A: 'one', B: 'two words', C: 'three' });
    expect(await readEnvFile(path.join(dir, 'missing.env'))).toBeUndefined();
  });

  it('expands ${VAR} like Prisma (braced only, \\${ kept literal, unknown → empty)', () => {
    const vars: Record<string, string> = { HOST: 'db', PORT: '5433', NESTED: '${HOST}:${PORT}' };
    const get = (n: string) => vars[n];
    expect(expandEnvValue('postgresql://u@${HOST}:${PORT}/x', get)).toBe('postgresql://u@db:5433/x');
    expect(expandEnvValue('postgresql://u@${NESTED}/x', get)).toBe('postgresql://u@db:5433/x');
    expect(expandEnvValue('a$HOST b\\${HOST} c${NOPE}d', get)).toBe('a$HOST b${HOST} cd');
  });
});

async function project(files: Record<string, string>): Promise<{ dir: string; p: PrismaProject }> {
  const dir = await scratchDir('env');
  await writeFiles(dir, {
    'package.json': '{ "devDependencies": { "prisma": "6.19.0" } }',
    'prisma/migrations/20240101000000_a/migration.sql': 'SELECT 1;\n',
    ...files,
  });
  const [p] = await discoverProjects([dir], { trusted: true, env: {} });
  return { dir, p: p! };
}

describe('resolveEnvironments', () => {
  it('reports a non-PostgreSQL URL as a problem without showing it', async () => {
    const { p } = await project({
      'prisma/schema.prisma': 'datasource db {\n  provider = "postgresql"\n  url = env("DATABASE_URL")\n}\n',
      'prisma/.env': 'DATABASE_URL=mysql://root:topsecret@localhost:3306/app\n',
    });
    const [local] = await resolveEnvironments(p, undefined, { env: {} });
    expect(local!.url).toBeUndefined();
    expect(local!.problem).toBe(
      'The connection string (DATABASE_URL in prisma/.env) is not a PostgreSQL URL (it starts with mysql://): Prisma Rollback works with postgresql:// URLs.',
    );
  });

  it('reports an unusable URL (the editor refresh and the CLI alike) naming where it came from, never the password', async () => {
    const { p } = await project({
      'prisma/schema.prisma': 'datasource db {\n  provider = "postgresql"\n  url = env("DATABASE_URL")\n}\n',
      'prisma/.env': 'DATABASE_URL="postgresql://app:top#secret@db.internal:5432/app"\n',
    });
    const [local] = await resolveEnvironments(p, undefined, { env: {} });
    expect(local!.url).toBeUndefined();
    expect(local!.problem).toBe(
      'The connection string (DATABASE_URL in prisma/.env) is not a usable URL: its password contains "#", which must be percent-encoded (# → %23).',
    );
    // Unquoted, dotenv reads the "#" as the start of a comment: the value ends at the password.
    await fs.writeFile(
      path.join(p.root, 'prisma', '.env'),
      'DATABASE_URL=postgresql://app:top#secret@db.internal:5432/app\n',
    );
    const [cut] = await resolveEnvironments(p, undefined, { env: {} });
    expect(cut!.problem).toBe(
      'The connection string (DATABASE_URL in prisma/.env) is not a usable URL: it ends after "user:…" with no "@host": if a password follows, it was cut short — quote the value in a .env file and percent-encode a "#" in it (# → %23).',
    );
    expect(cut!.problem).not.toContain('top');
    const [port] = await resolveEnvironments(p, undefined, {
      env: { DATABASE_URL: 'postgresql://app:pw@db.internal:5432x/app' },
    });
    expect(port!.problem).toBe(
      'The connection string (DATABASE_URL from the environment) is not a usable URL: its port "5432x" is not a number.',
    );
  });

  it('uses a literal URL from the schema and says where it came from', async () => {
    const { p } = await project({
      'prisma/schema.prisma':
        'datasource db {\n  provider = "postgresql"\n  url = "postgresql://lit:pw@localhost:5432/lit"\n}\n',
    });
    const [local] = await resolveEnvironments(p, undefined, { env: {} });
    expect(local).toMatchObject({
      url: 'postgresql://lit:pw@localhost:5432/lit',
      source: 'the URL written in prisma/schema.prisma',
    });
  });

  it('envFile: reads only that file (never falls back to .env or the process)', async () => {
    const { p } = await project({
      'prisma/schema.prisma': 'datasource db {\n  provider = "postgresql"\n  url = env("DATABASE_URL")\n}\n',
      '.env': 'DATABASE_URL=postgresql://local:pw@localhost:5432/local\n',
      'deploy/prod.env': 'DATABASE_URL=postgresql://prod:pw@prod.internal:5432/app\n',
      'deploy/empty.env': '# nothing\n',
    });
    const envs = await resolveEnvironments(
      p,
      [
        { name: 'production', envFile: 'deploy/prod.env', protected: true },
        { name: 'empty', envFile: 'deploy/empty.env' },
        { name: 'missing', envFile: 'deploy/nope.env' },
      ],
      { env: { DATABASE_URL: 'postgresql://process:pw@localhost:5432/process' } },
    );
    expect(envs[0]).toMatchObject({
      url: 'postgresql://prod:pw@prod.internal:5432/app',
      source: 'DATABASE_URL in deploy/prod.env',
      protected: true,
    });
    expect(envs[1]!.url).toBeUndefined();
    expect(envs[1]!.problem).toBe(
      'DATABASE_URL is not set in deploy/empty.env: add it there, or store a connection string for this environment.',
    );
    expect(envs[2]!.problem).toBe('The env file deploy/nope.env of environment "missing" does not exist.');
  });

  it('a stored secret wins over env files; a failing secret store is a warning', async () => {
    const { p } = await project({
      'prisma/schema.prisma': 'datasource db {\n  provider = "postgresql"\n  url = env("DATABASE_URL")\n}\n',
      '.env': 'DATABASE_URL=postgresql://file:pw@localhost:5432/file\n',
    });
    const asked: string[] = [];
    const envs = await resolveEnvironments(
      p,
      [{ name: 'local' }, { name: 'staging', urlEnv: 'STAGING_URL' }],
      {
        env: {},
        secret: async (name) => {
          asked.push(name);
          if (name === 'staging') return 'postgresql://secret:pw@staging:5432/s';
          return undefined;
        },
      },
    );
    expect(asked).toEqual(['local', 'staging']);
    expect(envs[0]!.url).toBe('postgresql://file:pw@localhost:5432/file');
    expect(envs[1]).toMatchObject({
      url: 'postgresql://secret:pw@staging:5432/s',
      source: 'connection string stored in VS Code',
    });
    const [broken] = await resolveEnvironments(p, undefined, {
      env: {},
      secret: async () => {
        throw new Error('keychain locked');
      },
    });
    expect(broken!.url).toBe('postgresql://file:pw@localhost:5432/file');
    expect(broken!.warnings).toEqual(['Could not read the stored connection string: keychain locked']);
  });

  it('re-evaluates the config for a copy of a discovered Prisma 7 project', async () => {
    const fixture = path.resolve(__dirname, '../fixtures/projects/prisma7');
    const [p] = await discoverProjects([fixture], { trusted: true, env: {} });
    const copy = structuredClone(p!);
    const [local] = await resolveEnvironments(copy, undefined, { env: {} });
    expect(local!.url).toBe('postgresql://app7:s3cret@localhost:5432/app7?schema=public');
    // The secret is not part of the project object itself.
    expect(JSON.stringify(p)).not.toContain('s3cret');
  });
});
