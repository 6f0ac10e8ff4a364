/**
 * The one secret redactor (src/core/db/redact.ts): every form a password takes in what the
 * extension and the CLI log, show or write to the audit log.
 */
import { describe, expect, it } from 'vitest';
import { redactSecrets } from '../../src/core/db';

const cases: [what: string, input: string, output: string][] = [
  // URL userinfo
  [
    'postgresql URL password',
    'failed: postgresql://app:s3cr3t@db.example.com:5432/app?schema=public',
    'failed: postgresql://app:***@db.example.com:5432/app?schema=public',
  ],
  [
    'postgres URL, encoded password, trailing dot',
    'then postgres://u:p%40ss@h/db.',
    'then postgres://u:***@h/db.',
  ],
  ['URL in parentheses', '(postgresql://u:pw@h:5432/d)', '(postgresql://u:***@h:5432/d)'],
  [
    'URL inside single quotes',
    "url 'postgresql://u:pw@h/d' rejected",
    "url 'postgresql://u:***@h/d' rejected",
  ],
  ['mysql URL', 'mysql://root:pw@localhost:3306/x', 'mysql://root:***@localhost:3306/x'],
  [
    'mongodb+srv URL',
    'mongodb+srv://a:pw@cluster0.example.net/db',
    'mongodb+srv://a:***@cluster0.example.net/db',
  ],
  [
    'unparseable URL (bad port) keeps its host',
    'postgresql://u:pw@h:99999/d',
    'postgresql://u:***@h:99999/d',
  ],
  // URL query parameters
  [
    'password query parameter',
    'postgresql://h/d?user=u&password=pw&sslmode=require',
    'postgresql://h/d?user=u&password=***&sslmode=require',
  ],
  [
    'sslpassword query parameter',
    'postgresql://u@h/d?sslpassword=keypw',
    'postgresql://u@h/d?sslpassword=***',
  ],
  [
    'prisma+postgres api_key',
    'prisma+postgres://accelerate.prisma-data.net/?api_key=abcdef',
    'prisma+postgres://accelerate.prisma-data.net/?api_key=***',
  ],
  // keyword/value conninfo and environment assignments
  [
    'conninfo password=',
    'host=db user=app password=hunter2 dbname=app',
    'host=db user=app password=*** dbname=app',
  ],
  [
    'conninfo quoted value with a space',
    "host=db password='a b\\' c' port=5432",
    'host=db password=*** port=5432',
  ],
  ['conninfo sslpassword=', 'sslkey=/k sslpassword=kp', 'sslkey=/k sslpassword=***'],
  ['PGPASSWORD=', 'PGPASSWORD=hunter2 pg_dump --file=x', 'PGPASSWORD=*** pg_dump --file=x'],
  ['Password = (spaces, any case)', 'Password = hunter2', 'Password = ***'],
  // YAML / log lines and JSON
  ['password: X', 'database:\n  password: hunter2\n  user: app', 'database:\n  password: ***\n  user: app'],
  ['PGPASSWORD: X', 'env PGPASSWORD: hunter2', 'env PGPASSWORD: ***'],
  ['password: "quoted value"', 'password: "a b"', 'password: ***'],
  [
    'JSON "password"',
    '{"user":"app","password":"hu\\"nter2","port":5432}',
    '{"user":"app","password":"***","port":5432}',
  ],
  ['JSON "password" with spaces', '{ "password": "x" }', '{ "password": "***" }'],
  // nothing to redact: left exactly as written
  ['no secret', 'no secrets here', 'no secrets here'],
  ['URL without a password is not normalised', 'see https://example.com', 'see https://example.com'],
  [
    'connection error wording is kept',
    'password authentication failed for user "app"',
    'password authentication failed for user "app"',
  ],
  [
    'several in one text',
    'password=hunter2 and postgres://u:p@h/d.',
    'password=*** and postgres://u:***@h/d.',
  ],
];

describe('redactSecrets', () => {
  it.each(cases)('%s', (_what, input, output) => {
    expect(redactSecrets(input)).toBe(output);
  });

  it('is idempotent', () => {
    for (const [, , output] of cases) expect(redactSecrets(output)).toBe(output);
    expect(redactSecrets(redactSecrets(cases[0][1]))).toBe(cases[0][2]);
  });
});
