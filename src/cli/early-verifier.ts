/**
 * `prisma-rollback verify` starts the verifier's worker thread before the rest of the CLI loads:
 * src/cli.ts imports this module first, so its body runs before the command modules of the
 * bundle are evaluated (~0.1–0.2 s of a new process). A worker thread's own start (Node's
 * bootstrap of the thread, the worker's bundle) then overlaps that, and the worker has
 * PGlite and the parser compiled (prepareEmbeddedVerifier) by the time the command has read the
 * history (issue 14: the warm `verify` of an 800-migration history waited ~0.3–0.5 s for the
 * worker after the history was read). Only in the CLI's own process (dist/cli.js run by Node),
 * never when src/cli.ts is imported (tests call `main`).
 */
import { useBaselineTierOnly } from '../core/verify/embedded';
import { prepareEmbeddedVerifier } from '../core/verify/worker-client';

/**
 * Whether `argv` (the CLI's arguments, without `node` and the script) is a `verify` that may use
 * the embedded PostgreSQL: not `--help`, not `--engine server`. A guess from the words alone
 * (the command parses them properly): a wrong "yes" only starts a worker the command then ends.
 */
export function verifiesEmbedded(argv: readonly string[]): boolean {
  const [name, ...rest] = argv;
  if (name !== 'verify') return false;
  return !rest.some(
    (a, i) =>
      a === '--help' ||
      a === '-h' ||
      a === '--engine=server' ||
      (a === '--engine' && rest[i + 1] === 'server'),
  );
}

/**
 * For such a `verify`: V8's baseline tier for all WebAssembly of the process (useBaselineTierOnly,
 * set synchronously, before the worker is created and told so), then the worker started and its
 * WebAssembly compiled (prepareEmbeddedVerifier). The verify command calls both again; they do
 * nothing the second time. Never throws.
 */
export function startVerifierEarly(argv: readonly string[]): void {
  if (!verifiesEmbedded(argv)) return;
  void useBaselineTierOnly();
  prepareEmbeddedVerifier();
}

if (typeof require !== 'undefined' && typeof module !== 'undefined' && require.main === module)
  startVerifierEarly(process.argv.slice(2));
