/** An expected failure of a runbook action, with a message that says what to do. */
export class RunbookError extends Error {
  constructor(
    message: string,
    readonly code:
      | 'config'
      /** Refused before anything was changed (an existing file, a path inside the migrations folder). */
      | 'refused'
      | 'state'
      | 'parse'
      | 'notInTransaction'
      | 'lockTimeout'
      | 'statementFailed'
      | 'engine'
      | 'pgDump'
      | 'pgDumpTooOld'
      | 'verifyDump',
    readonly where?: { file?: string; line?: number; column?: number; statement?: number },
  ) {
    super(message);
  }
}
