/**
 * Which major version of Prisma a project uses: the `prisma` / `@prisma/client` dependency
 * of the nearest `package.json` that declares one, else the version a lock file pinned,
 * else the installed `node_modules/prisma`. Files only — nothing is executed.
 */
import fs from 'node:fs/promises';
import path from 'node:path';

export interface PrismaVersion {
  major: number;
  /** Where the version was read, e.g. `package.json (prisma ^6.19.0)`. */
  source: string;
}

const PACKAGES = ['prisma', '@prisma/client'] as const;

/** Major of a semver range when it pins one (`^6.1.0`, `~7`, `6.x`, `=7.10.0`); else undefined. */
export function majorOfRange(range: string): number | undefined {
  const r = range.trim();
  const m = /^(?:\^|~|=|v|>=\s*)?(\d+)(?:\.(?:\d+|x|\*)(?:\.(?:\d+|x|\*))?(?:[-+][\w.-]*)?)?$/.exec(r);
  if (!m) return undefined;
  // `>=6` leaves the major open.
  if (r.startsWith('>=')) return undefined;
  return Number(m[1]);
}

async function readText(file: string): Promise<string | undefined> {
  return fs.readFile(file, 'utf8').catch(() => undefined);
}

/** Directories from `dir` upwards, stopping after the repository root (the folder holding `.git`). */
export async function ancestors(dir: string): Promise<string[]> {
  const out: string[] = [];
  let current = path.resolve(dir);
  for (;;) {
    out.push(current);
    const isRepoRoot = await fs
      .stat(path.join(current, '.git'))
      .then(() => true)
      .catch(() => false);
    const parent = path.dirname(current);
    if (isRepoRoot || parent === current) return out;
    current = parent;
  }
}

function fromPackageJson(text: string): { major?: number; range?: string; pkg?: string } {
  try {
    const pkg = JSON.parse(text) as Record<string, Record<string, string> | undefined>;
    for (const name of PACKAGES) {
      for (const field of ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies']) {
        const range = pkg[field]?.[name];
        if (typeof range === 'string') return { major: majorOfRange(range), range, pkg: name };
      }
    }
  } catch {
    // not JSON: ignore
  }
  return {};
}

/** The major version a lock file records for `prisma` or `@prisma/client`. */
export function majorFromLockfile(fileName: string, text: string): number | undefined {
  if (fileName === 'package-lock.json' || fileName === 'npm-shrinkwrap.json') {
    try {
      const lock = JSON.parse(text) as {
        packages?: Record<string, { version?: string }>;
        dependencies?: Record<string, { version?: string }>;
      };
      for (const name of PACKAGES) {
        const v = lock.packages?.[`node_modules/${name}`]?.version ?? lock.dependencies?.[name]?.version;
        if (v) return majorOfRange(v);
      }
    } catch {
      return undefined;
    }
    return undefined;
  }
  for (const name of PACKAGES) {
    const escaped = name.replace(/[/@]/g, (c) => `\\${c}`);
    let m: RegExpExecArray | null = null;
    if (fileName === 'pnpm-lock.yaml') {
      // `  prisma@6.19.0:` / `  /prisma@6.19.0:` / `  '@prisma/client@6.19.0(prisma@6.19.0)':`
      m = new RegExp(`^\\s+'?/?${escaped}@(\\d+)\\.`, 'm').exec(text);
    } else if (fileName === 'yarn.lock') {
      // `"prisma@^6.0.0":\n  version "6.19.0"` (v1) or `version: 6.19.0` (berry)
      m = new RegExp(`^"?${escaped}@[^\\n]*:\\n(?:\\s+[^\\n]*\\n)*?\\s+version:? "?(\\d+)\\.`, 'm').exec(
        text,
      );
    } else if (fileName === 'bun.lock') {
      m = new RegExp(`"${escaped}@(\\d+)\\.`).exec(text);
    }
    if (m) return Number(m[1]);
  }
  return undefined;
}

const LOCKFILES = ['package-lock.json', 'npm-shrinkwrap.json', 'pnpm-lock.yaml', 'yarn.lock', 'bun.lock'];

/** The project's Prisma major version, or undefined when nothing says. */
export async function detectPrismaVersion(root: string): Promise<PrismaVersion | undefined> {
  const dirs = await ancestors(root);
  for (const dir of dirs) {
    const text = await readText(path.join(dir, 'package.json'));
    if (text === undefined) continue;
    const dep = fromPackageJson(text);
    if (dep.major !== undefined) {
      return { major: dep.major, source: `${rel(root, dir, 'package.json')} (${dep.pkg} ${dep.range})` };
    }
    if (dep.range !== undefined) break; // declared, but with a range that does not pin a major
  }
  for (const dir of dirs) {
    for (const name of LOCKFILES) {
      const text = await readText(path.join(dir, name));
      if (text === undefined) continue;
      const major = majorFromLockfile(name, text);
      if (major !== undefined) return { major, source: rel(root, dir, name) };
    }
  }
  for (const dir of dirs) {
    for (const name of PACKAGES) {
      const text = await readText(path.join(dir, 'node_modules', name, 'package.json'));
      let major: number | undefined;
      try {
        const v = text && (JSON.parse(text) as { version?: string }).version;
        major = v ? majorOfRange(v) : undefined;
      } catch {
        major = undefined;
      }
      if (major !== undefined) return { major, source: rel(root, dir, `node_modules/${name}`) };
    }
  }
  return undefined;
}

function rel(root: string, dir: string, file: string): string {
  return path.relative(root, path.join(dir, file)).split(path.sep).join('/');
}
