/** The rollback runbook: runner commands (backup, apply-down, resolve, deploy) and the checklist model. */
export * from './apply-down';
export * from './audit';
export * from './backup';
export * from './checklist';
export * from './commands';
export * from './errors';
export * from './history';
export * from './pg-env';
export type * from './protocol';
export { parseHostMessage, parseWebviewMessage } from './protocol';
export * from './reset';
export * from './resolve';
export * from './script';
export * from './tables';
export * from './view';
