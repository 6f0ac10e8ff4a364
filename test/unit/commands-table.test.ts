/**
 * The editor layer's structure holds (issue 9; after microsoft/vscode-pull-request-github's
 * scripts/check-commands.js): one command table whose ids are exactly package.json's commands,
 * no `registerCommand(` outside it, no `getConfiguration(` outside settings.ts, and no file of
 * src/vscode too large to read.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMAND_IDS } from '../../src/vscode/commands/ids';

const root = path.resolve(__dirname, '../..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const TABLE = 'src/vscode/commands/index.ts';
const SETTINGS = 'src/vscode/settings.ts';

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((d) => {
    const rel = path.posix.join(dir, d.name);
    if (d.isDirectory()) return sourceFiles(rel);
    return /\.tsx?$/.test(d.name) ? [rel] : [];
  });
}

const read = (rel: string) => fs.readFileSync(path.join(root, rel), 'utf8');
/** Source without comments, so a docstring naming a call does not count as one. */
const code = (rel: string) =>
  read(rel)
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '');

const declared: string[] = pkg.contributes.commands.map((c: { command: string }) => c.command);

/** Keys of the `COMMANDS` object literal of the table: `'prismaRollback.x': handler`. */
function tableIds(): string[] {
  const body = /export const COMMANDS\b[^\n]*= \{\n([\s\S]*?)\n\};/.exec(code(TABLE))?.[1] ?? '';
  return [...body.matchAll(/^\s*'(prismaRollback\.[\w.]+)':/gm)].map((m) => m[1]);
}

describe('the command table', () => {
  it('lists exactly the commands package.json declares, in the same order', () => {
    expect([...COMMAND_IDS]).toEqual(declared);
  });

  it('registers every declared command, and nothing else', () => {
    const ids = tableIds();
    expect(ids.length).toBe(declared.length);
    expect([...ids].sort()).toEqual([...declared].sort());
  });

  it('is the only place in src/ that calls registerCommand(', () => {
    const offenders = sourceFiles('src').filter((f) => f !== TABLE && /\bregisterCommand\s*\(/.test(code(f)));
    expect(offenders).toEqual([]);
    expect(code(TABLE)).toMatch(/registerCommand\(id, withErrorBoundary\(/);
  });

  it('has no second user-error class or error boundary in the editor layer', () => {
    const userErrors = sourceFiles('src/vscode').filter((f) => /class \w*UserError\b/.test(code(f)));
    expect(userErrors).toEqual(['src/vscode/commands/boundary.ts']);
    const boundaries = sourceFiles('src/vscode').filter((f) =>
      // One statement: the boundary offers the next action, when a UserError names one, before Show Log.
      /showErrorMessage\([^;]*'Show Log'/.test(code(f)),
    );
    expect(boundaries).toEqual(['src/vscode/commands/boundary.ts']);
  });
});

describe('the editor layer', () => {
  it('reads settings only in settings.ts', () => {
    const offenders = sourceFiles('src').filter(
      (f) => f !== SETTINGS && /\bgetConfiguration\s*\(/.test(code(f)),
    );
    expect(offenders).toEqual([]);
  });

  it('asks for a migration, project or environment only in pick.ts', () => {
    const offenders = sourceFiles('src/vscode').filter(
      (f) => f !== 'src/vscode/pick.ts' && /\bshowQuickPick\s*\(/.test(code(f)),
    );
    expect(offenders).toEqual([]);
  });

  it('keeps every file of src/vscode under 750 lines (the webview panel class stays whole)', () => {
    const long = sourceFiles('src/vscode')
      .map((f) => ({ f, lines: read(f).split('\n').length }))
      .filter((x) => x.lines > 750);
    expect(long).toEqual([]);
  });
});
