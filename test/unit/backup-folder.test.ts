import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { backupFolder, keepOutOfGit } from '../../src/vscode/checklist/backup-folder';

const dirs: string[] = [];
async function tmp(): Promise<string> {
  const d = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'pr-backup-')));
  dirs.push(d);
  return d;
}
afterEach(async () => {
  for (const d of dirs.splice(0)) await fs.rm(d, { recursive: true, force: true });
});

function gitStatus(repo: string): string {
  return execFileSync('git', ['status', '--porcelain', '--untracked-files=all'], { cwd: repo }).toString();
}

describe('backupFolder', () => {
  it('defaults to the extension storage, resolves a relative setting against the project', () => {
    expect(backupFolder({ projectRoot: '/p', storage: '/s' })).toBe('/s/backups');
    expect(backupFolder({ setting: '  ', projectRoot: '/p', storage: '/s' })).toBe('/s/backups');
    expect(backupFolder({ setting: '.prisma-rollback/backups', projectRoot: '/p', storage: '/s' })).toBe(
      '/p/.prisma-rollback/backups',
    );
    expect(backupFolder({ setting: '/var/dumps', projectRoot: '/p', storage: '/s' })).toBe('/var/dumps');
    expect(backupFolder({ setting: '~/dumps', projectRoot: '/p', storage: '/s' })).toBe(
      path.join(os.homedir(), 'dumps'),
    );
  });
});

describe('keepOutOfGit', () => {
  it('adds a folder inside a work tree to .git/info/exclude, once, and git no longer lists its files', async () => {
    const repo = await tmp();
    execFileSync('git', ['init', '-q'], { cwd: repo });
    const folder = path.join(repo, '.prisma-rollback', 'backups');
    const r = await keepOutOfGit(folder);
    expect(r).toEqual({
      kind: 'added',
      excludeFile: path.join(repo, '.git', 'info', 'exclude'),
      pattern: '/.prisma-rollback/backups/',
    });
    await fs.writeFile(path.join(folder, 'production-full-20250101-000000.dump'), 'x');
    expect(gitStatus(repo)).toBe('');
    expect(await keepOutOfGit(folder)).toEqual({ kind: 'ignored' });
    const exclude = await fs.readFile(path.join(repo, '.git', 'info', 'exclude'), 'utf8');
    expect(exclude.match(/\/\.prisma-rollback\/backups\//g)).toHaveLength(1);
  });

  it('leaves a folder that .gitignore already ignores alone', async () => {
    const repo = await tmp();
    execFileSync('git', ['init', '-q'], { cwd: repo });
    await fs.writeFile(path.join(repo, '.gitignore'), 'dumps/\n');
    expect(await keepOutOfGit(path.join(repo, 'dumps'))).toEqual({ kind: 'ignored' });
  });

  it('does nothing outside a git work tree', async () => {
    const dir = await tmp();
    expect(await keepOutOfGit(path.join(dir, 'backups'))).toEqual({ kind: 'outsideGit' });
    await fs.access(path.join(dir, 'backups'));
  });
});
