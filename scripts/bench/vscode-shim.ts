/**
 * A minimal stand-in for the `vscode` module, only for timing the extension's activation in
 * the benchmark (no editor can be started inside a benchmark). Every API returns inert
 * objects; nothing here is used by tests.
 */
import Module from 'node:module';

function inert(): unknown {
  // A function expression (not an arrow) so that `new vscode.ThemeIcon(…)` works on it.
  const fn = function inertFn() {
    return inert();
  };
  return new Proxy(fn, {
    get: (_t, p) => {
      if (p === 'then') return undefined;
      if (p === Symbol.toPrimitive) return () => '';
      if (p === 'dispose') return () => {};
      return inert();
    },
    apply: () => inert(),
    construct: () => inert() as object,
  });
}

export async function activateInShim(bundle: string): Promise<{ requireMs: number; activateMs: number }> {
  // Real own keys, because esbuild's CommonJS interop copies the module's own properties.
  const names = (
    'window workspace commands languages env extensions tasks l10n debug scm authentication Uri ThemeIcon ThemeColor ' +
    'TreeItem TreeItemCollapsibleState EventEmitter Disposable MarkdownString CodeLens Range Position Selection ' +
    'Task ProcessExecution ShellExecution TaskScope TaskRevealKind TaskPanelKind ViewColumn StatusBarAlignment ' +
    'ConfigurationTarget ProgressLocation RelativePattern DiagnosticSeverity Diagnostic FileType ' +
    'CancellationTokenSource TabInputText TabInputTextDiff LogLevel QuickPickItemKind'
  ).split(' ');
  const vscode: Record<string, unknown> = Object.fromEntries(names.map((n) => [n, inert()]));
  const orig = (Module as unknown as { _load: (r: string, ...a: unknown[]) => unknown })._load;
  (Module as unknown as { _load: unknown })._load = function (request: string, ...rest: unknown[]) {
    if (request === 'vscode')
      return new Proxy(vscode, { get: (t, p) => (p === 'version' ? '1.139.1' : t[p as string]) });
    return orig.call(this, request, ...rest);
  };
  let t = performance.now();
  const ext = require(bundle) as { activate(ctx: unknown): unknown };
  const requireMs = performance.now() - t;
  const context = {
    subscriptions: [] as unknown[],
    extensionUri: inert(),
    extensionPath: process.cwd(),
    globalState: { get: () => undefined, update: async () => {}, keys: () => [] },
    workspaceState: { get: () => undefined, update: async () => {}, keys: () => [] },
    secrets: {
      get: async () => undefined,
      store: async () => {},
      delete: async () => {},
      onDidChange: inert(),
    },
    asAbsolutePath: (p: string) => p,
    storageUri: undefined,
    globalStorageUri: inert(),
    logUri: inert(),
    extensionMode: 1,
  };
  t = performance.now();
  try {
    await ext.activate(context);
  } catch {
    // The shim cannot satisfy every API; the time until then is still the extension's own.
  }
  return { requireMs, activateMs: performance.now() - t };
}
