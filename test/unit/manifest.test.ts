/**
 * The manifest and the code agree (after microsoft/vscode-pull-request-github's check-commands):
 * every command declared in package.json is registered in src/, every registered command is
 * declared, every menu entry names a declared command, item-only commands stay out of the
 * palette, and activation never uses `*`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '../..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = path.join(dir, d.name);
    if (d.isDirectory()) return sourceFiles(p);
    return /\.tsx?$/.test(d.name) ? [p] : [];
  });
}

/** Command ids registered in code: the keys `'prismaRollback.x': handler` of the command table (src/vscode/commands/index.ts). */
function registeredCommands(): Set<string> {
  const table = fs.readFileSync(path.join(root, 'src/vscode/commands/index.ts'), 'utf8');
  return new Set([...table.matchAll(/^\s*'(prismaRollback\.[\w.]+)':/gm)].map((m) => m[1]));
}

const declared = new Set<string>(
  (pkg.contributes?.commands ?? []).map((c: { command: string }) => c.command),
);

describe('package.json and the code agree', () => {
  it('registers every declared command, and declares every registered one', () => {
    const registered = registeredCommands();
    expect(registered.size).toBeGreaterThan(3);
    expect(
      [...declared].filter((c) => !registered.has(c)),
      'declared but not registered',
    ).toEqual([]);
    expect(
      [...registered].filter((c) => !declared.has(c)),
      'registered but not declared',
    ).toEqual([]);
  });

  it('only puts declared commands in menus and command links of the welcome views', () => {
    const menus: Record<string, { command: string }[]> = pkg.contributes?.menus ?? {};
    const inMenus = Object.values(menus).flatMap((items) => items.map((i) => i.command));
    expect(inMenus.filter((c) => c.startsWith('prismaRollback.') && !declared.has(c))).toEqual([]);
    const links = (pkg.contributes?.viewsWelcome ?? []).flatMap((w: { contents: string }) =>
      [...w.contents.matchAll(/\(command:(prismaRollback\.[\w.]+)/g)].map((m) => m[1]),
    );
    expect(links.length).toBeGreaterThan(0);
    expect(links.filter((c: string) => !declared.has(c))).toEqual([]);
  });

  it("chooses welcome texts by the extension's own state key, never by the built-in trust key", () => {
    // isWorkspaceTrusted can be set after our state at start-up: a trusted empty folder then showed
    // the Restricted Mode text (a fresh-clone e2e run). The trust is folded into prismaRollback.state.
    const whens = (pkg.contributes?.viewsWelcome ?? []).map((w: { when?: string }) => w.when ?? '');
    expect(whens.filter((w: string) => /isWorkspaceTrusted/.test(w))).toEqual([]);
    expect(whens).toContain('prismaRollback.state == noProjectsRestricted');
    expect(whens).toContain('prismaRollback.state == noProjects');
  });

  it('only links declared commands from CodeLenses and tree items; migration.sql offers Start Rollback…', () => {
    // `command: 'prismaRollback.x'` in items and lenses; the rollback lenses pass typed ids as arguments.
    const linked = sourceFiles(path.join(root, 'src')).flatMap((f) =>
      [...fs.readFileSync(f, 'utf8').matchAll(/(?:\bcommand:\s*|^\s*)'(prismaRollback\.[\w.]+)'/gm)].map(
        (m) => m[1],
      ),
    );
    expect(linked).toContain('prismaRollback.verifyRollback');
    expect(linked.filter((c) => !declared.has(c))).toEqual([]);
    // The lens on migration.sql passes the file's Uri, which the command resolves to its migration.
    const lens = fs.readFileSync(path.join(root, 'src/vscode/codelens.ts'), 'utf8');
    expect(lens).toMatch(
      /title: 'Start Rollback…',[\s\S]{0,200}command: 'prismaRollback\.startRollback',\s*arguments: \[document\.uri\]/,
    );
    expect(declared.has('prismaRollback.startRollback')).toBe(true);
    const cmd = pkg.contributes.commands.find(
      (c: { command: string }) => c.command === 'prismaRollback.startRollback',
    );
    expect(cmd.enablement).toBe('isWorkspaceTrusted');
  });

  it('hides item-only commands from the command palette', () => {
    const palette: { command: string; when?: string }[] = pkg.contributes?.menus?.commandPalette ?? [];
    expect(palette.find((p) => p.command === 'prismaRollback.openMigration')?.when).toBe('false');
  });

  it('refers to views, settings and icons that exist', () => {
    const views = Object.values(pkg.contributes.views).flat() as { id: string; icon?: string }[];
    const viewIds = new Set(views.map((v) => v.id));
    for (const w of pkg.contributes.viewsWelcome) expect(viewIds.has(w.view)).toBe(true);
    const containers = pkg.contributes.viewsContainers.activitybar as { id: string; icon: string }[];
    for (const c of containers) expect(fs.existsSync(path.join(root, c.icon)), c.icon).toBe(true);
    for (const id of Object.keys(pkg.contributes.views))
      expect(containers.some((c) => c.id === id)).toBe(true);
    const props = pkg.contributes.configuration.properties as Record<
      string,
      { description?: string; markdownDescription?: string }
    >;
    for (const [key, p] of Object.entries(props))
      expect(p.description ?? p.markdownDescription, key).toBeTruthy();
    // Every setting read in src/vscode/ (all in settings.ts) is declared.
    const settingsSource = fs.readFileSync(path.join(root, 'src/vscode/settings.ts'), 'utf8');
    const read = [...settingsSource.matchAll(/\b(?:c\.get(?:<\w+>)?|str)\('([\w.]+)'\)/g)].map((m) => m[1]);
    expect(read.length).toBeGreaterThanOrEqual(14);
    for (const key of read) expect(props[`prismaRollback.${key}`], key).toBeDefined();
    // …and every declared setting is read there.
    for (const key of Object.keys(props)) expect(read, key).toContain(key.replace(/^prismaRollback\./, ''));
  });

  it('activates from its contributions, never on *', () => {
    const events: string[] = pkg.activationEvents ?? [];
    expect(events).not.toContain('*');
    expect(events).not.toContain('onStartupFinished');
    expect(events).toContain('onView:prismaRollback.migrations');
    expect(events).toContain('workspaceContains:**/migration_lock.toml');
  });

  it('declares limited support for untrusted workspaces and keeps an include-list .vscodeignore', () => {
    expect(pkg.capabilities.untrustedWorkspaces.supported).toBe('limited');
    expect(pkg.capabilities.untrustedWorkspaces.restrictedConfigurations).toContain(
      'prismaRollback.environments',
    );
    const ignore = fs
      .readFileSync(path.join(root, '.vscodeignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim());
    expect(ignore[ignore.findIndex((l) => l && !l.startsWith('#'))]).toBe('**');
    expect(ignore).toContain('!dist/extension.js');
  });
});
