import fs from 'node:fs/promises';
import path from 'node:path';

export const FIXTURES = path.resolve(__dirname, '../fixtures/projects');

/**
 * Scratch projects live inside the repository (in the git-ignored `.cache/`) so that a
 * `prisma.config.ts` there resolves `prisma/config` and `dotenv/config` from our node_modules.
 */
const SCRATCH = path.resolve(__dirname, '../../.cache/project-tests');

const created: string[] = [];

export async function scratchDir(name: string): Promise<string> {
  const dir = path.join(SCRATCH, `${name}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
  await fs.mkdir(dir, { recursive: true });
  created.push(dir);
  return dir;
}

/** Copies a fixture into a fresh scratch folder and returns the copy's path. */
export async function copyFixture(name: string): Promise<string> {
  const dir = await scratchDir(name);
  await fs.cp(path.join(FIXTURES, name), dir, { recursive: true });
  return dir;
}

/** Writes files (relative path → content) under `dir`. */
export async function writeFiles(dir: string, files: Record<string, string>): Promise<void> {
  for (const [rel, content] of Object.entries(files)) {
    const f = path.join(dir, rel);
    await fs.mkdir(path.dirname(f), { recursive: true });
    await fs.writeFile(f, content);
  }
}

/** Removes the scratch folders this test file created. */
export async function removeScratch(): Promise<void> {
  await Promise.all(created.splice(0).map((d) => fs.rm(d, { recursive: true, force: true })));
}
