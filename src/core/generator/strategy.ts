/**
 * The generator strategies (setting `prismaRollback.generator`, CLI `down --strategy`):
 * `statements` (default) inverts the migration statement by statement from the parse tree and the
 * schema model; `prismaDiff` asks Prisma's own differ (migrations 1..N → 1..N-1, PGlite as the
 * shadow database), which sees schema state but not custom SQL.
 */

import { initSqlParser } from '../sql/parser';
import type { MigrationSource, RollbackOptions, RollbackResult } from './rollback';
import { buildSchemaModelSync, generateRollback, renderPrismaDiffRollback } from './rollback';

export const GENERATOR_STRATEGIES = ['statements', 'prismaDiff'] as const;
export type GeneratorStrategy = (typeof GENERATOR_STRATEGIES)[number];

export function isGeneratorStrategy(v: unknown): v is GeneratorStrategy {
  return typeof v === 'string' && (GENERATOR_STRATEGIES as readonly string[]).includes(v);
}

/**
 * The rollback of `history[index]` with the chosen strategy. Throws `SqlParseError` (file, line,
 * column) when that migration does not parse (`statements`); with `prismaDiff`, the Error of
 * Prisma's engine or of the embedded PostgreSQL (PGlite) when the history does not replay there.
 * `opts.source` adds the header's note on an edited-after-apply migration (`sourceNoteLine`).
 * Writes nothing but the model cache (`opts.modelCacheDir`, statements only, see ./model-cache.ts):
 * the caller decides where the result goes.
 */
export async function generateRollbackWith(
  strategy: GeneratorStrategy,
  history: MigrationSource[],
  index: number,
  opts: Pick<RollbackOptions, 'source' | 'modelCacheDir'> = {},
): Promise<RollbackResult> {
  if (strategy === 'statements') return generateRollback(history, index, opts);
  // Heavy (Prisma's engine + PGlite): loaded only for this strategy.
  const { prismaDiffDownScript } = await import('../verify/prisma-diff');
  const diff = await prismaDiffDownScript(history, index);
  await initSqlParser();
  const { model } = buildSchemaModelSync(history.slice(0, index + 1));
  return renderPrismaDiffRollback(history[index], diff.script, model, opts.source);
}
