/**
 * The one secret redactor: every text that is logged, shown, written to the audit log or put in
 * an error message goes through `redactSecrets` first. No `vscode` import (unit-tested).
 */

/** Query parameters and keys whose value is a secret (`password`, `sslpassword`, `api_key`, `token`…). */
export const SECRET_PARAM = /pass|secret|token|key/i;

/** Anything that looks like a URL with a scheme (`postgresql://…`, `prisma+postgres://…`, `https://…`). */
const URL_PATTERN = /\b[a-z][a-z0-9+.-]*:\/\/[^\s'"`<>]+/gi;

/**
 * A URL with its password and secret query parameters replaced by `***`; a URL that holds
 * neither is returned exactly as written (no normalisation).
 */
function redactUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    // Not parseable (a bad port, a space…): mask the userinfo password by shape.
    return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/?#]*):[^/?#]*@/i, '$1:***@');
  }
  let changed = false;
  if (u.password) {
    u.password = '***';
    changed = true;
  }
  for (const k of [...u.searchParams.keys()]) {
    if (SECRET_PARAM.test(k) && u.searchParams.get(k) !== '***') {
      u.searchParams.set(k, '***');
      changed = true;
    }
  }
  return changed ? u.toString() : url;
}

/**
 * Replaces every secret in `text` with `***` and returns the rest unchanged:
 *
 * - URL userinfo passwords and secret query parameters (`postgresql://app:***@host/db`,
 *   `?password=***`, `?sslpassword=***`, `?api_key=***`) — any scheme; trailing `).,;:` stay outside;
 * - `password=…`, `sslpassword=…`, `PGPASSWORD=…` (libpq keyword/value conninfo, PostgreSQL docs
 *   §34.1.1 "Keyword/Value Connection Strings", single-quoted values included; environment
 *   assignments, §34.15 "Environment Variables");
 * - `password: X` (YAML, logs) and JSON `"password": "…"`.
 *
 * Keys match case-insensitively. Pure: never throws.
 */
export function redactSecrets(text: string): string {
  return (
    text
      .replace(URL_PATTERN, (url) => {
        const trailing = /[).,;:]+$/.exec(url)?.[0] ?? '';
        const bare = trailing ? url.slice(0, -trailing.length) : url;
        return redactUrl(bare) + trailing;
      })
      // JSON: "password": "…" (escaped quotes inside the value included)
      .replace(/("(?:pg|ssl)?password"\s*:\s*)"(?:[^"\\]|\\.)*"/gi, '$1"***"')
      // conninfo / environment: password=…, password='… …'
      .replace(
        /\b((?:PG|ssl)?password)(\s*=\s*)(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|[^\s&'"]+)/gi,
        '$1$2***',
      )
      // YAML / logs: password: X
      .replace(/\b((?:PG|ssl)?password)(:[ \t]+)(?:'[^']*'|"[^"]*"|[^\s,;'"}]+)/gi, '$1$2***')
  );
}
