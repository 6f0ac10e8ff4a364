/**
 * What Prisma's engine's answer (`prisma migrate diff`, src/core/verify/prisma-diff.ts) means for
 * a verification's verdict, and how it is worded: pure, no engine, so that the editor's entry
 * bundle can word it without loading Prisma's engine.
 */
import { redactSecrets } from '../db/redact';
import type { VerifyResult } from './index';
import type { PrismaDiffResult } from './prisma-diff';

/** What Prisma's engine said about a verification's verdict. */
export type SecondOpinion =
  /** Not asked: the verifier reached no verdict (could not verify, cancelled). */
  | { outcome: 'notAsked'; result: VerifyResult }
  /** Prisma's diff is empty: `result` unchanged. */
  | { outcome: 'agrees'; result: VerifyResult; diff: PrismaDiffResult; line: string }
  /** Prisma's diff is not empty: `result` is `differences`, with `line` added to them. */
  | { outcome: 'disagrees'; result: VerifyResult; diff: PrismaDiffResult; line: string }
  /** Prisma's engine could not diff: `result` unchanged; `error` (redacted) says why. */
  | { outcome: 'failed'; result: VerifyResult; error: string; line: string };

/** One difference line for a non-empty `prisma migrate diff` (its first two statements). */
export function prismaDiffDifference(script: string): string {
  const statements = script
    .split('\n')
    .filter((l) => l.trim() && !l.trim().startsWith('--'))
    .join(' ')
    .split(';')
    .map((x) => x.trim())
    .filter(Boolean);
  const shown = statements.slice(0, 2).join('; ');
  return `Prisma's migrate diff still sees a difference: it would run ${shown}${statements.length > 2 ? `; … (${statements.length} statements)` : ''}`;
}

/**
 * The verdict after Prisma's answer to a `verified` or `differences` result:
 *
 * - Prisma's diff can add a difference, never remove one. A non-empty diff makes the result
 *   `differences` with `prismaDiffDifference(script)` added (a `verified` becomes `differences`;
 *   an existing list gains Prisma's line, which shows the SQL it would still run).
 * - An empty diff changes nothing: after `differences` the catalogs see more than Prisma models
 *   (functions, triggers, views, comments).
 * - An engine failure (e.g. an extension PGlite lacks while the history was verified on the
 *   shadow server) leaves the verdict to the catalog comparison and says so: the second opinion
 *   is extra evidence; its absence is not a failure of the proof. `error` is one line, redacted.
 */
export function secondOpinionOf(
  result: VerifyResult,
  answer: PrismaDiffResult | { error: string },
): SecondOpinion {
  if (result.kind === 'couldNotVerify') return { outcome: 'notAsked', result };
  if ('error' in answer) {
    // one line: the engine's Rust backtrace (`   0: schema_engine_wasm::…`) is cut off
    const error = redactSecrets(answer.error.split(/\n\s+\d+: /)[0])
      .replace(/\s*\n\s*/g, ' ')
      .trim()
      .replace(/\.$/, '');
    return {
      outcome: 'failed',
      result,
      error,
      line: `Prisma's migrate diff could not run: ${error}. The result rests on the catalog comparison alone.`,
    };
  }
  const seconds = `${(answer.ms / 1000).toFixed(1)} s`;
  if (answer.empty)
    return {
      outcome: 'agrees',
      result,
      diff: answer,
      line:
        result.kind === 'verified'
          ? `Prisma's migrate diff agrees: no difference (${seconds}).`
          : `Prisma's migrate diff sees no difference; it compares only what Prisma models, not functions, triggers, views or comments (${seconds}).`,
    };
  const line = prismaDiffDifference(answer.script);
  const differences = result.kind === 'differences' ? [...result.differences, line] : [line];
  return {
    outcome: 'disagrees',
    result: { ...result, kind: 'differences', differences },
    diff: answer,
    line,
  };
}
