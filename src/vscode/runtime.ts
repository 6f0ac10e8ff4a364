/**
 * The Node.js the extension host must run: Prisma 7 declares `^20.19 || ^22.12 || >=24`.
 * VS Code 1.100 (Electron 34.5, Node 20.19.0) is the first release whose Node satisfies that, so it is
 * the oldest editor `engines.vscode` accepts; the check below still guards against a different build.
 * No 'vscode' import: unit-tested in plain Node.
 */

export const REQUIRED_NODE = '^20.19 || ^22.12 || >=24';
export const MIN_VSCODE = '1.100';

/** Whether a Node version (`22.15.1`, `v20.18.3`) satisfies `^20.19 || ^22.12 || >=24`. */
export function nodeSatisfies(version: string): boolean {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version.trim());
  if (!m) return false;
  const [major, minor] = [Number(m[1]), Number(m[2])];
  if (major >= 24) return true;
  if (major === 22) return minor >= 12;
  if (major === 20) return minor >= 19;
  return false;
}

/** The error shown at activation on an editor whose Node is too old, or undefined when it is fine. */
export function runtimeProblem(nodeVersion: string, editorVersion: string): string | undefined {
  if (nodeSatisfies(nodeVersion)) return undefined;
  return (
    `Prisma Rollback needs VS Code ${MIN_VSCODE} or newer: this editor (${editorVersion}) runs Node.js ${nodeVersion}, ` +
    `but Prisma's packages require Node.js ${REQUIRED_NODE}. Update VS Code and reload the window.`
  );
}
