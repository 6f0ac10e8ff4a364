/**
 * Lazy access to src/vscode/core-api.ts. In the packaged extension that module is a separate
 * bundle (dist/core-api.js, see scripts/build.mjs) required on first use; from source (tests)
 * it is an ordinary import.
 */
export type CoreApi = typeof import('./core-api');

let loading: Promise<CoreApi> | undefined;
let loadedInMs = 0;

/**
 * Loads src/vscode/core-api.ts once and returns it (later calls share the same promise). Rejects
 * with the import's error when the bundle cannot be loaded; the failure is forgotten so the next
 * call retries. Nothing is left loaded on failure.
 */
export function loadCore(): Promise<CoreApi> {
  if (!loading) {
    const started = performance.now();
    loading = import('./core-api').then(
      (m) => {
        loadedInMs = performance.now() - started;
        return m;
      },
      (e) => {
        loading = undefined;
        throw e;
      },
    );
  }
  return loading;
}

/** How long loading the core took (0 before it was loaded). */
export function coreLoadMs(): number {
  return loadedInMs;
}
