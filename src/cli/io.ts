/**
 * What the CLI reads and writes: its streams, environment and signals, passed in (no module state),
 * so the CLI runs the same in a process, in a test, or inside the sandbox demo.
 */

export interface OutputStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  /** Terminal width, when a terminal. */
  readonly columns?: number;
}

export interface CliIo {
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  readonly stdin: AsyncIterable<Buffer | string> & { readonly isTTY?: boolean };
  readonly env: Readonly<Record<string, string | undefined>>;
  /**
   * Calls `handler` on the first SIGINT or SIGTERM until the returned function is called; a second
   * signal ends the process at once (exit 130), as a second Ctrl-C does in kubectl.
   */
  readonly onSignal: (handler: (signal: 'SIGINT' | 'SIGTERM') => void) => () => void;
}

/** This process's streams, environment and signals. */
export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    onSignal: (handler) => {
      let seen = 0;
      const on = (signal: 'SIGINT' | 'SIGTERM') => () => {
        seen += 1;
        if (seen === 1) return handler(signal);
        process.stderr.write(`${signal} again: quitting at once; the journal is left as its last save recorded it.\n`);
        process.exit(130);
      };
      const onInt = on('SIGINT');
      const onTerm = on('SIGTERM');
      process.on('SIGINT', onInt);
      process.on('SIGTERM', onTerm);
      return () => {
        process.off('SIGINT', onInt);
        process.off('SIGTERM', onTerm);
      };
    },
  };
}
