/**
 * The checklist's steps, in order — shared by the model (checklist.ts) and the webview protocol
 * (protocol.ts, also bundled into the browser), so it imports nothing.
 */
export const STEP_IDS = [
  'identify',
  'review',
  'script',
  'verify',
  'impact',
  'backup',
  'notify',
  'staging',
  'apply',
  'markRolledBack',
  'confirm',
  'followUp',
  // The "Resolve failed migration" flow (a checklist opened on a migration that failed there).
  'assess',
  'writePartial',
  'runPartial',
  'markApplied',
  // Offered after Apply when the rollback re-created columns or tables that had data and no archive
  // restored them (issue 12): `prisma-rollback restore --from <backup>`.
  'restoreBackup',
] as const;
export type StepId = (typeof STEP_IDS)[number];
