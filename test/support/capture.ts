/** Runs the CLI in this process with its own streams, and captures every byte it writes to them. */
import { Readable } from 'node:stream';
import { main } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/io.js';

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `stdin`: what a user types (with `tty`, as on a terminal); by default an empty, non-terminal stdin. */
export async function runCliInProcess(
  argv: readonly string[],
  options: { readonly stdin?: string; readonly tty?: boolean } = {},
): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    stdout: { write: (text: string) => out.push(text) },
    stderr: { write: (text: string) => err.push(text) },
    stdin: Object.assign(Readable.from(options.stdin === undefined ? [] : [options.stdin]), {
      isTTY: options.tty === true,
    }),
    env: process.env,
    onSignal: () => () => undefined,
  };
  const code = await main(argv, io);
  return { code, stdout: out.join(''), stderr: err.join('') };
}

/** The secret values found in `text` (an empty list is the only good answer). */
export function leakedSecrets(text: string, secrets: readonly string[]): string[] {
  return secrets.filter((s) => s.length >= 8 && text.includes(s));
}
