/**
 * collectGarbage (src/core/verify/gc.ts): the verifier's worker collects its heap while it runs a
 * large script (issue 14), without leaving a `gc` global to other contexts of the process.
 */
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { collectGarbage } from '../../src/core/verify/gc';

describe('collectGarbage', () => {
  it('frees an object nothing references any more', async () => {
    let target: object | undefined = { payload: new Array(1000).fill('x') };
    const ref = new WeakRef(target);
    target = undefined;
    // a WeakRef keeps its target until the end of the current job
    await new Promise((r) => setImmediate(r));
    expect(collectGarbage()).toBe(true);
    expect(ref.deref()).toBeUndefined();
  });

  it('leaves no gc global to the contexts made afterwards', () => {
    expect(collectGarbage()).toBe(true);
    expect(vm.runInNewContext('typeof gc')).toBe(typeof (globalThis as { gc?: unknown }).gc);
  });
});
