import { describe, expect, it } from 'vitest';
import { nodeSatisfies, runtimeProblem } from '../../src/vscode/runtime';

describe('Node version required by Prisma 7 (^20.19 || ^22.12 || >=24)', () => {
  it.each([
    ['20.19.0', true], // VS Code 1.100 (Electron 34.5)
    ['v20.20.2', true],
    ['20.18.3', false], // VS Code 1.99 (Electron 34.3)
    ['22.11.0', false],
    ['22.15.1', true], // VS Code 1.101 (Electron 35)
    ['23.9.0', false],
    ['24.0.0', true],
    ['18.20.4', false],
    ['garbage', false],
  ])('%s → %s', (v, ok) => {
    expect(nodeSatisfies(v)).toBe(ok);
  });

  it('explains what to do on an old editor', () => {
    expect(runtimeProblem('20.19.0', '1.100.0')).toBeUndefined();
    expect(runtimeProblem('22.15.1', '1.101.0')).toBeUndefined();
    const msg = runtimeProblem('20.18.1', '1.96.4');
    expect(msg).toContain('VS Code 1.100 or newer');
    expect(msg).toContain('Node.js 20.18.1');
  });
});
