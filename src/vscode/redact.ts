/** Removes secrets from text before it is logged or shown. No 'vscode' import (unit-tested). */
import { maskUrl } from '../core/db';

const URL_PATTERN =
  /\b(?:postgres(?:ql)?|prisma(?:\+postgres)?|mysql|sqlserver|mongodb(?:\+srv)?):\/\/[^\s'"`<>]+/gi;

/** Replaces every connection string in `text` with its masked form (`user:***@host`). */
export function redactSecrets(text: string): string {
  return text.replace(URL_PATTERN, (url) => {
    const trailing = /[).,;:]+$/.exec(url)?.[0] ?? '';
    const bare = trailing ? url.slice(0, -trailing.length) : url;
    return maskUrl(bare) + trailing;
  });
}
