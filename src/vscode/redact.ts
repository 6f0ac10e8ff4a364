/** The one secret redactor lives in src/core/db/redact.ts. */
export { redactSecrets } from '../core/db/redact';
