/**
 * The few error classes the CLI distinguishes. Classes carry structured fields; the message is
 * already safe to print (no secret value ever goes into one).
 */

/** Exit codes, as in DESIGN §2. */
export const ExitCode = {
  Ok: 0,
  Failed: 1,
  Usage: 2,
  NeedsHuman: 3,
  Internal: 70,
  /** Stopped by a signal before anything was written (the shell's 128 + SIGINT). */
  Interrupted: 130,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** The user can fix the input or flags. `hint` says how. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** A message was already shown; exit with this code. */
export class ExitError extends Error {
  override readonly name = 'ExitError';
  constructor(readonly code: ExitCodeValue) {
    super(`exit ${code}`);
  }
}

/** A bug in kubecost-rotate. */
export class InternalError extends Error {
  override readonly name = 'InternalError';
}
