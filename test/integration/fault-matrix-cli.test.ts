/**
 * The CLI fails closed (issue 10), one `describe` per kind of fault, on the run's real
 * PostgreSQL 15: each case names the fault and the verdict, and asserts the exit code, the one
 * line printed and what was left in the database or on disk. Processes that must exit on time or
 * survive a lost connection run as a real `node` process (the CLI bundled by esbuild); the others
 * run `main` in-process, as the other CLI tests do.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PRISMA_ADVISORY_LOCK } from '../../src/core/runbook/apply-down';
import { runCliLines } from '../support/cli';
import { adminPassword, createTestDatabase, query, type TestDatabase } from '../support/pg';
import { prismaPackageJson, SCHEMA_WITH_URL_ENV, tempProject } from '../support/project';

const INIT = 'CREATE TABLE "User" ("id" SERIAL PRIMARY KEY, "email" TEXT NOT NULL);\n';
const BIO = 'ALTER TABLE "User" ADD COLUMN "bio" TEXT;\n';
const BIO_DOWN = 'ALTER TABLE "User" DROP COLUMN "bio";\n';
const REPO = path.resolve(__dirname, '..', '..');

interface Run {
  code: number;
  out: string;
  err: string;
}

/** Exactly one non-empty line, no stack frame, no password. */
function expectOneLine(text: string): string {
  const lines = text.split('\n').filter((l) => l.trim());
  expect(lines, text).toHaveLength(1);
  expect(text).not.toMatch(/^\s+at /m);
  expect(text).not.toContain(adminPassword());
  return lines[0];
}

/** A project like a user's: two environments, production protected, URLs from variables. */
function makeProject(settings: unknown) {
  return tempProject({ packageJson: prismaPackageJson(), schema: SCHEMA_WITH_URL_ENV, settings });
}

const SETTINGS = {
  'prismaRollback.environments': [
    { name: 'local', urlEnv: 'LOCAL_DATABASE_URL' },
    { name: 'production', urlEnv: 'PRODUCTION_DATABASE_URL', protected: true },
  ],
};

let cliBundle: string;

/** The CLI as a real process; records when its last output arrived and when it exited. */
function spawnCli(args: string[], cwd: string, env: NodeJS.ProcessEnv) {
  return new Promise<Run & { lastOutputMs: number; exitMs: number }>((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [cliBundle, ...args], {
      cwd,
      env: { PATH: process.env.PATH, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let last = 0;
    child.stdout.on('data', (d) => {
      out += d;
      last = performance.now() - started;
    });
    child.stderr.on('data', (d) => {
      err += d;
      last = performance.now() - started;
    });
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({ code: code ?? -1, out, err, lastOutputMs: last, exitMs: performance.now() - started }),
    );
  });
}

beforeAll(async () => {
  // packages external: the bundle requires pg, the engine… from the repository's node_modules.
  cliBundle = path.join(REPO, '.cache', 'test-cli', `cli-${process.pid}.cjs`);
  await build({
    entryPoints: [path.join(REPO, 'src', 'cli.ts')],
    outfile: cliBundle,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
  });
});
afterAll(async () => {
  await fs.rm(cliBundle, { force: true });
});

describe('kind 2 — a protected environment is never changed without --confirm <its name>', () => {
  let local: TestDatabase;
  let prod: TestDatabase;
  let mig: Awaited<ReturnType<typeof makeProject>>;
  let env: NodeJS.ProcessEnv;
  const cli = (...argv: string[]): Promise<Run> => runCliLines(argv, mig.root, env);
  const prodRows = () =>
    query<{ name: string; rolled: boolean }>(
      prod.url,
      'SELECT migration_name AS name, rolled_back_at IS NOT NULL AS rolled FROM _prisma_migrations ORDER BY migration_name',
    );
  const bioColumn = async () =>
    (
      await query<{ n: number }>(
        prod.url,
        "SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'User' AND column_name = 'bio'",
      )
    )[0].n;

  beforeAll(async () => {
    local = await createTestDatabase('fm_local');
    prod = await createTestDatabase('fm_prod');
    mig = await makeProject(SETTINGS);
    await mig.add('20240101000000_init', INIT);
    await mig.add('20240102000000_bio', BIO);
    await fs.writeFile(path.join(mig.dir, '20240102000000_bio', 'down.sql'), BIO_DOWN);
    env = { PATH: process.env.PATH, LOCAL_DATABASE_URL: local.url, PRODUCTION_DATABASE_URL: prod.url };
  });
  afterAll(async () => {
    await local.drop();
    await prod.drop();
    await mig.cleanup();
  });

  it('deploy on production without --confirm → refused, exit 1, no _prisma_migrations created', async () => {
    const r = await cli('deploy', '--env', 'production');
    expect(r.code).toBe(1);
    expect(expectOneLine(r.err)).toBe(
      'Refused: production is a protected environment and deploy applies migrations there. Pass --confirm production to go ahead. Nothing was changed.',
    );
    expect(await query(prod.url, "SELECT to_regclass('_prisma_migrations')::text AS t")).toEqual([
      { t: null },
    ]);
  });

  it('deploy on production with --confirm Production (wrong case) → refused, exit 1', async () => {
    const r = await cli('deploy', '--env', 'production', '--confirm', 'Production');
    expect(r.code).toBe(1);
    expect(expectOneLine(r.err)).toContain(
      '--confirm "Production" is not the name of the protected environment production',
    );
    expect(await query(prod.url, "SELECT to_regclass('_prisma_migrations')::text AS t")).toEqual([
      { t: null },
    ]);
  });

  it('deploy on production with --confirm production → runs, exit 0', async () => {
    const r = await cli('deploy', '--env', 'production', '--confirm', 'production');
    expect(r.code).toBe(0);
    expect(await prodRows()).toEqual([
      { name: '20240101000000_init', rolled: false },
      { name: '20240102000000_bio', rolled: false },
    ]);
  });

  it('apply-down on production without --confirm → refused, exit 1, the column and the history unchanged', async () => {
    const r = await cli('apply-down', '20240102000000_bio', '--env', 'production');
    expect(r.code).toBe(1);
    expect(expectOneLine(r.err)).toContain('Refused: production is a protected environment');
    expect(r.out).toBe('');
    expect(await bioColumn()).toBe(1);
    expect((await prodRows()).every((x) => !x.rolled)).toBe(true);
  });

  it('resolve on production without --confirm → refused, exit 1, the row unchanged', async () => {
    const r = await cli('resolve', '--rolled-back', '20240102000000_bio', '--env', 'production');
    expect(r.code).toBe(1);
    expect(expectOneLine(r.err)).toContain('Pass --confirm production to go ahead. Nothing was changed.');
    expect((await prodRows()).every((x) => !x.rolled)).toBe(true);
  });

  it('PRISMA_ROLLBACK_ENVIRONMENTS without "protected" cannot unprotect production → apply-down still refused, exit 1', async () => {
    const saved = env;
    env = {
      ...env,
      PRISMA_ROLLBACK_ENVIRONMENTS: JSON.stringify([
        { name: 'production', urlEnv: 'PRODUCTION_DATABASE_URL', protected: false },
      ]),
    };
    try {
      const r = await cli('apply-down', '20240102000000_bio', '--env', 'production');
      expect(r.code).toBe(1);
      expect(expectOneLine(r.err)).toContain('production is a protected environment');
      expect(await bioColumn()).toBe(1);
    } finally {
      env = saved;
    }
  });

  it('reset on production, even with --confirm production → refused, exit 1, rows kept', async () => {
    await query(prod.url, `INSERT INTO "User"(email) VALUES ('kept@x.io')`);
    const r = await cli('reset', '--env', 'production', '--confirm', 'production');
    expect(r.code).toBe(1);
    expect(expectOneLine(r.err)).toContain('production is protected');
    expect(await query(prod.url, 'SELECT email FROM "User"')).toEqual([{ email: 'kept@x.io' }]);
  });

  it('apply-down on production with --confirm production → rolls back, exit 0', async () => {
    const r = await cli('apply-down', '20240102000000_bio', '--env', 'production', '--confirm', 'production');
    expect(r.code).toBe(0);
    expect(await bioColumn()).toBe(0);
  });

  it('apply-down on the unprotected local environment needs no --confirm → exit 0', async () => {
    expect((await cli('deploy', '--env', 'local')).code).toBe(0);
    expect((await cli('apply-down', '20240102000000_bio', '--env', 'local')).code).toBe(0);
  });
});

describe('kind 3 — runbook commands exit within 3 s of their last line', () => {
  let db: TestDatabase;
  let mig: Awaited<ReturnType<typeof makeProject>>;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    db = await createTestDatabase('fm_exit');
    mig = await makeProject({
      'prismaRollback.environments': [{ name: 'local', urlEnv: 'LOCAL_DATABASE_URL' }],
    });
    await mig.add('20240101000000_init', INIT);
    await mig.add('20240102000000_bio', BIO);
    await fs.writeFile(path.join(mig.dir, '20240102000000_bio', 'down.sql'), BIO_DOWN);
    env = { LOCAL_DATABASE_URL: db.url };
  });
  afterAll(async () => {
    await db.drop();
    await mig.cleanup();
  });

  const timed = async (args: string[], code: number) => {
    const r = await spawnCli(args, mig.root, env);
    expect(r.code, r.err).toBe(code);
    expect(r.exitMs - r.lastOutputMs).toBeLessThan(3000);
    return r;
  };

  it('deploy → exit 0 promptly (it lingered ~10 s on an engine timer)', async () => {
    const r = await timed(['deploy', '--env', 'local'], 0);
    expect(r.out).toContain('2 migration(s) applied.');
  });

  it('Ctrl-C while apply-down waits for the advisory lock → one line, exit 130, nothing rolled back, the lock free', async () => {
    const holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
    try {
      await holder.query('SELECT pg_advisory_lock($1)', [PRISMA_ADVISORY_LOCK]);
      const child = spawn(
        process.execPath,
        [cliBundle, 'apply-down', '20240102000000_bio', '--env', 'local'],
        {
          cwd: mig.root,
          env: { PATH: process.env.PATH, ...env },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let err = '';
      child.stderr.on('data', (d) => {
        err += d;
      });
      const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
      // Interrupt once the CLI is polling for the lock (its query shows in pg_stat_activity).
      for (let i = 0; ; i++) {
        const { rows } = await holder.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE '%pg_try_advisory_lock%' AND pid <> pg_backend_pid()",
        );
        if (rows[0].n > 0) break;
        if (i > 200) throw new Error(`apply-down never asked for the lock: ${err}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      child.kill('SIGINT');
      expect(await exited).toBe(130);
      expect(expectOneLine(err)).toMatch(
        /^Interrupted \(SIGINT\): a transaction not yet committed is rolled back/,
      );
    } finally {
      await holder.end();
    }
    const cols = await query<{ n: number }>(
      db.url,
      "SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'User' AND column_name = 'bio'",
    );
    expect(cols).toEqual([{ n: 1 }]);
    const locks = await query<{ n: number }>(
      db.url,
      `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND objid = ${PRISMA_ADVISORY_LOCK}`,
    );
    expect(locks).toEqual([{ n: 0 }]);
  });

  it('resolve --applied of an applied migration → refused by the engine, exit 1 promptly', async () => {
    const r = await timed(['resolve', '--applied', '20240102000000_bio', '--env', 'local'], 1);
    expect(r.err).toContain('already recorded as applied');
  });

  it('reset with the database name → exit 0 promptly', async () => {
    await timed(['reset', '--env', 'local', '--confirm', db.name], 0);
  });

  it('apply-down of a failed migration (marked through the engine) → exit 0 promptly', async () => {
    await mig.add('20240103000000_broken', 'CREATE TABLE "Tag" ("id" INT);\nSELECT 1/0;\n');
    await fs.writeFile(
      path.join(mig.dir, '20240103000000_broken', 'down.sql'),
      'DROP TABLE IF EXISTS "Tag";\n',
    );
    await timed(['deploy', '--env', 'local'], 1);
    const r = await timed(['apply-down', '20240103000000_broken', '--env', 'local'], 0);
    expect(r.out).toContain("recorded by Prisma's engine (markMigrationRolledBack)");
    expect(
      await query(
        db.url,
        "SELECT rolled_back_at IS NOT NULL AS rolled FROM _prisma_migrations WHERE migration_name = '20240103000000_broken'",
      ),
    ).toEqual([{ rolled: true }]);
  });
});

describe('kind 4 — backup never loses or overwrites a file', () => {
  let db: TestDatabase;
  let mig: Awaited<ReturnType<typeof makeProject>>;
  let env: NodeJS.ProcessEnv;
  let dir: string;
  let failingPgDump: string;
  const cli = (...argv: string[]): Promise<Run> => runCliLines(argv, mig.root, env);
  const GOOD = '-- the previous good backup\n';

  beforeAll(async () => {
    db = await createTestDatabase('fm_backup');
    mig = await makeProject({
      'prismaRollback.environments': [{ name: 'local', urlEnv: 'LOCAL_DATABASE_URL' }],
    });
    await mig.add('20240101000000_init', INIT);
    env = { PATH: process.env.PATH, LOCAL_DATABASE_URL: db.url };
    expect((await cli('deploy', '--env', 'local')).code).toBe(0);
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'prisma-rollback-fm-'));
    // A pg_dump that reports version 15, writes half a file and fails (a connection lost mid-dump).
    failingPgDump = path.join(dir, 'pg_dump');
    await fs.writeFile(
      failingPgDump,
      // biome-ignore lint/suspicious/noTemplateCurlyInString: ${a#…} is the shell's, not a template
      '#!/bin/sh\nif [ "$1" = "--version" ]; then echo "pg_dump (PostgreSQL) 15.99"; exit 0; fi\nfor a in "$@"; do case "$a" in --file=*) f="${a#--file=}";; esac; done\necho "-- partial" > "$f"\necho "pg_dump: error: connection to server lost" >&2\nexit 1\n',
      { mode: 0o755 },
    );
  });
  afterAll(async () => {
    await db.drop();
    await mig.cleanup();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('--out onto an existing file without --force → refused, exit 1, the file intact', async () => {
    const file = path.join(dir, 'existing.sql');
    await fs.writeFile(file, GOOD);
    const r = await cli('backup', '--env', 'local', '--out', file);
    expect(r.code).toBe(1);
    expect(expectOneLine(r.err)).toBe(
      `Refused: ${file} already exists and is kept as it is. Choose another --out, or pass --force to replace it. Nothing was written.`,
    );
    expect(await fs.readFile(file, 'utf8')).toBe(GOOD);
  });

  it('--out onto an existing file with --force while pg_dump fails → exit 1, the previous backup intact, no partial file left', async () => {
    const file = path.join(dir, 'previous.sql');
    await fs.writeFile(file, GOOD);
    const before = await fs.readdir(dir);
    const r = await cli(
      'backup',
      '--env',
      'local',
      '--out',
      file,
      '--force',
      '--pg-dump-path',
      failingPgDump,
    );
    expect(r.code).toBe(1);
    expect(r.err).toContain('pg_dump failed (exit code 1): pg_dump: error: connection to server lost');
    expect(await fs.readFile(file, 'utf8')).toBe(GOOD);
    expect(await fs.readdir(dir)).toEqual(before);
  });

  it('--out at a migration.sql, even with --force → refused, exit 1, migration.sql intact', async () => {
    const file = path.join(mig.dir, '20240101000000_init', 'migration.sql');
    const r = await cli('backup', '--env', 'local', '--out', file, '--force');
    expect(r.code).toBe(1);
    expect(expectOneLine(r.err)).toContain(`is inside the migrations folder ${mig.dir}`);
    expect(await fs.readFile(file, 'utf8')).toBe(INIT);
  });

  it('--out at a new file inside the migrations folder → refused, exit 1, nothing created', async () => {
    const r = await cli('backup', '--env', 'local', '--out', path.join('prisma', 'migrations', 'backup.sql'));
    expect(r.code).toBe(1);
    expect(expectOneLine(r.err)).toContain('Refused:');
    expect((await fs.readdir(mig.dir)).sort()).toEqual(['20240101000000_init', 'migration_lock.toml']);
  });

  it('a backup in a new folder → folder 0700, file 0600, a real dump', async () => {
    const file = path.join(dir, 'new', 'sub', 'b.sql');
    const r = await cli('backup', '--env', 'local', '--out', file);
    expect(r.code, r.err).toBe(0);
    expect((await fs.stat(path.join(dir, 'new'))).mode & 0o777).toBe(0o700);
    expect((await fs.stat(path.join(dir, 'new', 'sub'))).mode & 0o777).toBe(0o700);
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    expect(await fs.readFile(file, 'utf8')).toContain('PostgreSQL database dump');
    expect(await fs.readdir(path.dirname(file))).toEqual(['b.sql']);
  });

  it('--force replacing a file with a good dump → exit 0, the new file is 0600', async () => {
    const file = path.join(dir, 'replaced.dump');
    await fs.writeFile(file, GOOD, { mode: 0o644 });
    const r = await cli('backup', '--env', 'local', '--out', file, '--force', '--format', 'custom');
    expect(r.code, r.err).toBe(0);
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    expect((await fs.readFile(file)).subarray(0, 5).toString()).toBe('PGDMP');
  });
});

describe('kind 5 — a fault is one line, never a crash or a stack trace', () => {
  let db: TestDatabase;
  let mig: Awaited<ReturnType<typeof makeProject>>;
  let env: NodeJS.ProcessEnv;
  let dir: string;
  const cli = (argv: string[], extra: NodeJS.ProcessEnv = {}): Promise<Run> =>
    runCliLines(argv, mig.root, { ...env, ...extra });
  const server = () => new URL(db.url);

  beforeAll(async () => {
    db = await createTestDatabase('fm_faults');
    mig = await makeProject({
      'prismaRollback.environments': [{ name: 'local', urlEnv: 'LOCAL_DATABASE_URL' }],
    });
    await mig.add('20240101000000_init', INIT);
    await mig.add('20240102000000_bio', BIO);
    await fs.writeFile(path.join(mig.dir, '20240102000000_bio', 'down.sql'), BIO_DOWN);
    env = { PATH: process.env.PATH, LOCAL_DATABASE_URL: db.url };
    expect((await cli(['deploy', '--env', 'local'])).code).toBe(0);
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'prisma-rollback-fm5-'));
  });
  afterAll(async () => {
    await query(db.url, 'DROP OWNED BY fm_norights').catch(() => {});
    await query(db.url, 'DROP ROLE IF EXISTS fm_norights').catch(() => {});
    await query(db.url, 'DROP ROLE IF EXISTS fm_at_user').catch(() => {});
    await db.drop();
    await mig.cleanup();
    await fs.rm(dir, { recursive: true, force: true });
  });

  const host = () => `${server().hostname}:${server().port}`;
  const shapes: [string, () => string, string][] = [
    [
      '"#" in the password',
      () => `postgresql://postgres:se#cret@${host()}/${db.name}`,
      'its password contains "#", which must be percent-encoded (# → %23)',
    ],
    [
      '"/" in the password',
      () => `postgresql://postgres:se/cret@${host()}/${db.name}`,
      'its password contains "/", which must be percent-encoded (/ → %2F)',
    ],
    ['a missing host', () => `postgresql://postgres:pw@/${db.name}`, 'it names no host'],
    [
      'a port that is not a number',
      () => `postgresql://postgres:pw@${server().hostname}:54x2/${db.name}`,
      'its port "54x2" is not a number',
    ],
    [
      'a port out of range',
      () => `postgresql://postgres:pw@${server().hostname}:99999/${db.name}`,
      'its port 99999 is not between 1 and 65535',
    ],
    [
      'an unknown scheme',
      () => `mysql://root:pw@${host()}/${db.name}`,
      'is not a PostgreSQL URL (it starts with mysql://)',
    ],
  ];
  const commands: [string, string[]][] = [
    ['backup', ['backup', '--env', 'local', '--out', '/nonexistent/never.sql']],
    ['apply-down', ['apply-down', '20240102000000_bio', '--env', 'local']],
    ['reset', ['reset', '--env', 'local', '--confirm', 'whatever']],
    ['deploy', ['deploy', '--env', 'local']],
  ];
  for (const [shape, url, reason] of shapes) {
    for (const [name, argv] of commands) {
      it(`${name} with ${shape} in LOCAL_DATABASE_URL → exit 2, one line naming the variable`, async () => {
        const r = await cli(argv, { LOCAL_DATABASE_URL: url() });
        expect(r.code).toBe(2);
        const line = expectOneLine(r.err);
        expect(line).toContain('LOCAL_DATABASE_URL from the environment');
        expect(line).toContain(reason);
        expect(line).not.toContain('Invalid URL');
        expect(line).not.toContain('cret');
      });
    }
    it(`status with ${shape} in LOCAL_DATABASE_URL → exit 2, the reason names the variable`, async () => {
      const r = await cli(['status', '--env', 'local'], { LOCAL_DATABASE_URL: url() });
      expect(r.code).toBe(2);
      expect(expectOneLine(r.err)).toContain(
        `The connection string (LOCAL_DATABASE_URL from the environment)`,
      );
    });
  }

  it('status --url with "#" in the password → exit 2, one line naming --url', async () => {
    const r = await cli(['status', '--url', `postgresql://postgres:se#cret@${host()}/${db.name}`]);
    expect(r.code).toBe(2);
    expect(expectOneLine(r.err)).toBe(
      '--url is not a usable PostgreSQL URL: its password contains "#", which must be percent-encoded (# → %23).',
    );
  });

  it('"@" in the password is a valid URL (the last "@" ends the credentials) → status connects, exit 0', async () => {
    await query(db.url, `CREATE ROLE fm_at_user LOGIN SUPERUSER PASSWORD 'p@ss'`);
    const r = await cli(['status', '--env', 'local'], {
      LOCAL_DATABASE_URL: `postgresql://fm_at_user:p@ss@${host()}/${db.name}`,
    });
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
  });

  it('the connection lost mid-status → the process survives, exit 2, one line saying the connection was lost', async () => {
    // A proxy that drops every connection at its first query (after the login went through).
    const proxy = net.createServer((c) => {
      const up = net.connect(Number(server().port), server().hostname);
      c.on('error', () => {});
      up.on('error', () => {});
      up.pipe(c);
      c.on('data', (d) => {
        if (d[0] === 0x51 || d[0] === 0x50) {
          c.destroy();
          up.destroy();
        } else up.write(d);
      });
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    try {
      const u = new URL(db.url);
      u.port = String((proxy.address() as net.AddressInfo).port);
      const r = await spawnCli(['status', '--env', 'local'], mig.root, { LOCAL_DATABASE_URL: u.toString() });
      expect(r.code).toBe(2);
      expect(r.err).not.toContain("Unhandled 'error' event");
      expect(expectOneLine(r.err)).toMatch(
        /^The connection was lost \(127\.0\.0\.1:\d+\/fm_faults_\w+\): the server closed it/,
      );
    } finally {
      proxy.close();
    }
  });

  describe('no rights on _prisma_migrations', () => {
    let url: string;
    beforeAll(async () => {
      await query(db.url, `CREATE ROLE fm_norights LOGIN PASSWORD 'np'`);
      await query(db.url, 'GRANT USAGE ON SCHEMA public TO fm_norights');
      const u = new URL(db.url);
      u.username = 'fm_norights';
      u.password = 'np';
      url = u.toString();
    });
    for (const argv of [
      ['status', '--env', 'local'],
      ['apply-down', '20240102000000_bio', '--env', 'local'],
      ['resolve', '--rolled-back', '20240102000000_bio', '--env', 'local'],
    ]) {
      it(`${argv[0]} → exit 2, one line: permission denied for table _prisma_migrations, with the host`, async () => {
        const r = await cli(argv, { LOCAL_DATABASE_URL: url });
        expect(r.code).toBe(2);
        expect(expectOneLine(r.err)).toMatch(
          /Permission denied \(127\.0\.0\.1:\d+\/fm_faults_\w+\): permission denied for table _prisma_migrations\. Connect as a user with rights on it/,
        );
      });
    }
    it("deploy → exit 1, the engine's one line without its Rust span trace", async () => {
      const r = await cli(['deploy', '--env', 'local'], { LOCAL_DATABASE_URL: url });
      expect(r.code).toBe(1);
      const lines = r.err.split('\n').filter((l) => l.trim());
      expect(lines).toEqual(['migrate deploy failed: ERROR: permission denied for table _prisma_migrations']);
    });
  });

  it('apply-down --file of an empty file → exit 2, one line, nothing run', async () => {
    const empty = path.join(dir, 'empty.sql');
    await fs.writeFile(empty, '');
    const r = await cli(['apply-down', '20240102000000_bio', '--env', 'local', '--file', empty]);
    expect(r.code).toBe(2);
    expect(expectOneLine(r.err)).toBe(
      `${empty} is empty: there is no rollback to run. Generate it (\`prisma-rollback down 20240102000000_bio\` writes it) or pass the right --file. Nothing was run.`,
    );
    expect(
      await query(
        db.url,
        "SELECT count(*)::int AS n FROM information_schema.columns WHERE column_name = 'bio'",
      ),
    ).toEqual([{ n: 1 }]);
  });

  it("apply-down --file '' → exit 2, a usage error instead of silently using down.sql", async () => {
    const r = await cli(['apply-down', '20240102000000_bio', '--env', 'local', '--file', '']);
    expect(r.code).toBe(2);
    expect(r.err.split('\n')[0]).toBe('--file needs a value (it was empty)');
    expect(r.err).not.toMatch(/^\s+at /m);
  });

  it('backup into a folder that cannot be created (a file is in the way) → exit 2, one line', async () => {
    const blocker = path.join(dir, 'a-file');
    await fs.writeFile(blocker, 'x');
    const r = await cli(['backup', '--env', 'local', '--out', path.join(blocker, 'b.sql')]);
    expect(r.code).toBe(2);
    expect(expectOneLine(r.err)).toBe(
      `Cannot write the backup in ${blocker} (a part of that path is a file, not a folder). Choose a writable folder with --out, or fix that folder's rights. Nothing was written.`,
    );
  });

  it('backup into an unwritable folder → exit 2, one line', async () => {
    // root ignores a folder's mode; sysfs refuses new files even to root.
    let folder = path.join(dir, 'readonly');
    if (process.getuid?.() === 0) folder = '/sys/kernel';
    else {
      await fs.mkdir(folder, { mode: 0o500 });
    }
    const r = await cli(['backup', '--env', 'local', '--out', path.join(folder, 'b.sql')]);
    expect(r.code).toBe(2);
    expect(expectOneLine(r.err)).toBe(
      `Cannot write the backup in ${folder} (permission denied). Choose a writable folder with --out, or fix that folder's rights. Nothing was written.`,
    );
  });

  it('--migrations at a symbolic link loop → exit 2, one line naming the path', async () => {
    const a = path.join(dir, 'loop-a');
    const b = path.join(dir, 'loop-b');
    await fs.symlink(b, a);
    await fs.symlink(a, b);
    for (const argv of [
      ['status', '--env', 'local', '--migrations', a],
      ['deploy', '--env', 'local', '--migrations', a],
    ]) {
      const r = await cli(argv);
      expect(r.code).toBe(2);
      expect(expectOneLine(r.err)).toBe(
        `${a} is a symbolic link loop: fix or remove the link (ELOOP in scandir).`,
      );
    }
  });

  it('a down.sql that is a symbolic link loop inside the migrations folder → status still reads, apply-down one line', async () => {
    const copy = path.join(dir, 'migs');
    await fs.cp(mig.dir, copy, { recursive: true });
    const down = path.join(copy, '20240102000000_bio', 'down.sql');
    await fs.rm(down);
    await fs.symlink(down, down);
    const s = await cli(['status', '--env', 'local', '--migrations', copy]);
    expect(s.code).toBe(0);
    const r = await cli(['apply-down', '20240102000000_bio', '--env', 'local', '--migrations', copy]);
    expect(r.code).toBe(2);
    expect(expectOneLine(r.err)).toContain(`Cannot read ${down}: ELOOP`);
  });
});
