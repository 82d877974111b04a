/**
 * The errors the rotation layer throws for the CLI (or a server) to report. None prints anything;
 * each message says what happened, where, and what to do next.
 */

/** Another kubecost-rotate changed the journal since this one read it. */
export class JournalConflictError extends Error {
  override readonly name = 'JournalConflictError';
  constructor(
    readonly rotation: string,
    readonly journal: string,
  ) {
    super(
      `the journal ${journal} changed under us: another kubecost-rotate is working on rotation ${rotation}. Stopping here; run "kubecost-rotate history" to see its state.`,
    );
  }
}

/** Another kubecost-rotate holds the credential's Lease and keeps renewing it. */
export class LeaseHeldError extends Error {
  override readonly name = 'LeaseHeldError';
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}

/** A call to the Lease API was refused, or got no answer: nothing was changed. */
export class LeaseError extends Error {
  override readonly name = 'LeaseError';
  constructor(
    message: string,
    readonly hint: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Stopped by a signal (Ctrl-C) before anything was written: there is no journal to act on. */
export class StoppedError extends Error {
  override readonly name = 'StoppedError';
  constructor(signal: unknown, what: string) {
    super(`stopped by ${String(signal)} ${what}; nothing was changed.`);
  }
}

/** A phase change the transition table does not allow: a bug. */
export class IllegalTransitionError extends Error {
  override readonly name = 'IllegalTransitionError';
}

/** Discovery could not read the clusters that would hold the credential: nothing was planned or written. */
export class ClustersUnreadableError extends Error {
  override readonly name = 'ClustersUnreadableError';
  constructor(
    readonly clusters: readonly string[],
    detail: string,
    readonly hint: string,
  ) {
    super(`could not read ${clusters.join(', ')}: ${detail}`);
  }
}

/**
 * The key is held outside what the command works on: contexts of the kubeconfig outside the
 * selection (refused unless --partial), or, for retirement, sites a partial rotation left on it.
 */
export class PartialFleetError extends Error {
  override readonly name = 'PartialFleetError';
  constructor(
    message: string,
    readonly hint: string,
    readonly holders: readonly { readonly cluster: string; readonly namespace: string; readonly secret: string }[],
    readonly unchecked: readonly string[],
  ) {
    super(message);
  }
}
