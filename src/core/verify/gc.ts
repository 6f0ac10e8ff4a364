/**
 * A full garbage collection on request, for the verifier's worker thread while it runs a large
 * script (issue 14: peak memory of `verify` on a 10 MB migration ≤ 300 MB).
 *
 * Running a large script piece by piece leaves garbage in the thread's V8 heap (PGlite's protocol
 * messages and results) and in ArrayBuffers outside it (PGlite's in-memory files outgrown and
 * copied as the table and the WAL grow): V8 collects it on its own schedule, late and at a moment
 * that varies from run to run, and the process's peak is taken then. Measured on
 * `verify` of a 10 MB migration of INSERTs (16 K pieces): the worker's heap grew 47 → 66 MB and its
 * ArrayBuffers 61 → 81 MB before V8's own collection; with a full collection after every ~1 MB of
 * SQL run, peak RSS 272–287 MB against 293–345 MB without (n=3 each, interleaved).
 */
import v8 from 'node:v8';
import vm from 'node:vm';

/** Characters of SQL run between two collections of a large script (see collectGarbage). */
export const GC_EVERY_CHARS = 1024 * 1024;

let gcFn: (() => void) | null | undefined;

/**
 * Collects this thread's V8 heap fully (young and old generation; ArrayBuffers no longer
 * referenced are freed), blocking the thread meanwhile: 30–160 ms each in the worker running the
 * 10 MB migration on a loaded 2-core machine (19 of them, ~1.2 s of a ~20 s verify). The `gc`
 * function comes from a new context made while `--expose-gc` is set for that moment only (V8
 * installs it in contexts created with the flag on), and the flag is cleared right after, so no
 * other context of the process (the editor's extension host) gets a `gc` global; a process
 * started with `--expose-gc` has its own `gc` used instead, and its flag is left alone. Returns whether it collected;
 * never throws (an engine that refuses the flag: nothing happens).
 */
export function collectGarbage(): boolean {
  if (gcFn === undefined) {
    const given = (globalThis as { gc?: () => void }).gc;
    if (typeof given === 'function') gcFn = given;
    else {
      try {
        v8.setFlagsFromString('--expose-gc');
        const made = vm.runInNewContext('gc');
        gcFn = typeof made === 'function' ? (made as () => void) : null;
      } catch {
        gcFn = null;
      } finally {
        v8.setFlagsFromString('--no-expose-gc');
      }
    }
  }
  if (!gcFn) return false;
  gcFn();
  return true;
}
