/** `prismaRollback.*` read from `.vscode/settings.json` for the CLI (src/core/project/settings-file.ts). */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readWorkspaceSetting, SettingsFileError } from '../../src/core/project';
import { removeScratch, scratchDir, writeFiles } from './project-helpers';

afterAll(removeScratch);

describe('readWorkspaceSetting', () => {
  it('reads the nearest settings file that defines the key, comments and trailing commas included', async () => {
    const root = await scratchDir('settings');
    await writeFiles(root, {
      '.vscode/settings.json':
        '{\n  // shared\n  "prismaRollback.generator": "prismaDiff",\n  "prismaRollback.shadowDatabaseUrl": "SHADOW_DATABASE_URL",\n}\n',
      'apps/api/.vscode/settings.json':
        '{ /* api */ "prismaRollback.shadowDatabaseUrl": "env:API_SHADOW", "x": "//not a comment", }',
    });
    const api = path.join(root, 'apps', 'api');
    expect(await readWorkspaceSetting(api, 'prismaRollback.shadowDatabaseUrl')).toBe('env:API_SHADOW');
    expect(await readWorkspaceSetting(api, 'prismaRollback.generator')).toBe('prismaDiff');
    expect(await readWorkspaceSetting(api, 'prismaRollback.environments')).toBeUndefined();
  });

  it('a settings file that does not parse: one line naming the file', async () => {
    const root = await scratchDir('settings-broken');
    await writeFiles(root, { '.vscode/settings.json': '{ "prismaRollback.generator": ' });
    const err = await readWorkspaceSetting(root, 'prismaRollback.generator').catch((e: Error) => e);
    expect(err).toBeInstanceOf(SettingsFileError);
    expect((err as Error).message).toMatch(
      new RegExp(`^Cannot read ${path.join(root, '.vscode', 'settings.json').replace(/[.\\/]/g, '\\$&')}: `),
    );
    expect((err as Error).message).not.toContain('\n');
  });
});
