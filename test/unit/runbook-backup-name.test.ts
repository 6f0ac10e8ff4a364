/** The one backup file name (src/core/runbook/backup.ts) for the CLI and the checklist: sanitised parts. */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { backupFileName, defaultBackupPath } from '../../src/core/runbook/backup';

const at = new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 678));

describe('backupFileName', () => {
  it.each([
    [
      'production',
      '20240102000000_add_tags',
      'custom',
      'production-20240102000000_add_tags-20260102-030405.dump',
    ],
    ['staging', 'full', 'plain', 'staging-full-20260102-030405.sql'],
    ['prod/eu', 'full', 'custom', 'prod_eu-full-20260102-030405.dump'],
    ['my env', 'x', 'custom', 'my_env-x-20260102-030405.dump'],
    ['..', 'x', 'custom', '_-x-20260102-030405.dump'],
    ['../../etc', 'x', 'custom', '____etc-x-20260102-030405.dump'],
    ['.hidden', 'x', 'plain', 'hidden-x-20260102-030405.sql'],
    ['--format=plain', 'x', 'plain', 'format_plain-x-20260102-030405.sql'],
    ['prod\\eu', 'a:b', 'plain', 'prod_eu-a_b-20260102-030405.sql'],
    ['', '', 'plain', '_-_-20260102-030405.sql'],
    ['prod.v2', 'public.Tag,public.Post', 'plain', 'prod.v2-public.Tag_public.Post-20260102-030405.sql'],
  ] as const)('%j + %j (%s) → %s', (env, what, format, expected) => {
    const name = backupFileName(env, what, format, at);
    expect(name).toBe(expected);
    expect(path.basename(name)).toBe(name);
  });

  it('the default path stays in the project backups folder', () => {
    expect(defaultBackupPath('/p', '../../etc', 'x', 'custom', at)).toBe(
      path.join('/p', '.prisma-rollback', 'backups', '____etc-x-20260102-030405.dump'),
    );
  });
});
