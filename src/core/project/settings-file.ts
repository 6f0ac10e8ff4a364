/**
 * `prismaRollback.*` settings as written in a workspace's `.vscode/settings.json`, for the CLI
 * (the editor reads them through VS Code, which also merges user and folder settings).
 */
import fs from 'node:fs/promises';
import path from 'node:path';

/** `.vscode/settings.json` that exists but does not parse; the message names the file. */
export class SettingsFileError extends Error {}

/** Parses JSON with comments and trailing commas (VS Code's settings format). Throws SyntaxError. */
export function parseJsonc(text: string): unknown {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      out += ch;
      if (ch === '\\') out += text[++i] ?? '';
      else if (ch === '"') inString = false;
    } else if (ch === '"') {
      inString = true;
      out += ch;
    } else if (ch === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else if (ch === '/' && text[i + 1] === '*') {
      i = text.indexOf('*/', i + 2);
      if (i < 0) break;
      i++;
    } else out += ch;
  }
  return JSON.parse(out.replace(/,(\s*[}\]])/g, '$1'));
}

/**
 * The value of `key` (e.g. `prismaRollback.shadowDatabaseUrl`) in the nearest
 * `.vscode/settings.json` at or above `dir` that defines it, as written (not validated);
 * undefined when none does. Throws SettingsFileError when a settings file on the way does not
 * parse (one line naming the file).
 */
export async function readWorkspaceSetting(dir: string, key: `prismaRollback.${string}`): Promise<unknown> {
  let current = path.resolve(dir);
  for (;;) {
    const file = path.join(current, '.vscode', 'settings.json');
    const text = await fs.readFile(file, 'utf8').catch(() => undefined);
    if (text !== undefined) {
      let settings: Record<string, unknown>;
      try {
        settings = parseJsonc(text) as Record<string, unknown>;
      } catch (e) {
        throw new SettingsFileError(`Cannot read ${file}: ${(e as Error).message}`);
      }
      if (settings && typeof settings === 'object' && key in settings) return settings[key];
    }
    const parent = path.dirname(current);
    if (parent === current) return undefined;
    current = parent;
  }
}

/**
 * `prismaRollback.archive.maxMegabytes` of the workspace at or above `dir` (see readWorkspaceSetting):
 * the deploy's archive size limit in megabytes, undefined when unset or 0 (no limit). Throws
 * SettingsFileError (one line) when a settings file does not parse or the value is not a number ≥ 0.
 */
export async function readArchiveMaxMegabytes(dir: string): Promise<number | undefined> {
  const v = await readWorkspaceSetting(dir, 'prismaRollback.archive.maxMegabytes');
  if (v === undefined || v === null || v === 0) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
    throw new SettingsFileError(
      `prismaRollback.archive.maxMegabytes must be a number of megabytes ≥ 0 (0: no limit), not ${JSON.stringify(v)}.`,
    );
  return v;
}

/**
 * `prismaRollback.archive.retentionDays` of the workspace at or above `dir` (see
 * readWorkspaceSetting): after a successful deploy, archives taken more than this many days ago of
 * migrations still applied are purged; undefined when unset or 0 (keep forever). Throws
 * SettingsFileError (one line) when a settings file does not parse or the value is not a number ≥ 0.
 */
export async function readArchiveRetentionDays(dir: string): Promise<number | undefined> {
  const v = await readWorkspaceSetting(dir, 'prismaRollback.archive.retentionDays');
  if (v === undefined || v === null || v === 0) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
    throw new SettingsFileError(
      `prismaRollback.archive.retentionDays must be a number of days ≥ 0 (0: keep forever), not ${JSON.stringify(v)}.`,
    );
  return v;
}
