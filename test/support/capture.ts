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

/** Length of the pieces a partial copy is looked for by: any copy of 2 × CHUNK - 1 characters holds one. */
const CHUNK = 16;

/** The pieces of `value` at every multiple of CHUNK (the last one may be shorter and is left out). */
function chunks(value: string): string[] {
  const out: string[] = [];
  for (let i = 0; i + CHUNK <= value.length; i += CHUNK) out.push(value.slice(i, i + CHUNK));
  return out;
}

/**
 * What base64 of any text holding `secret` contains, whatever the secret's offset in it: for each
 * of the three byte alignments, the characters that only the secret's bytes decide.
 */
export function base64Forms(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  return [0, 1, 2]
    .map((shift) => {
      const encoded = Buffer.concat([Buffer.alloc(shift), bytes]).toString('base64');
      const end = Math.floor((shift + bytes.length) / 3) * 4;
      return encoded.slice(shift === 0 ? 0 : 4, end);
    })
    .filter((form) => form.length >= CHUNK);
}

/**
 * The secret values found in `text` (an empty list is the only good answer): the value itself, its
 * base64 at any alignment (a Secret's data printed), or a partial copy of about 2 × 16 characters or
 * more (a truncated value in a message).
 */
export function leakedSecrets(text: string, secrets: readonly string[]): string[] {
  return secrets.filter((s) => {
    if (s.length < 8) return false;
    if (text.includes(s)) return true;
    const forms = [s, ...base64Forms(s)];
    return forms.some((form) => chunks(form).some((piece) => text.includes(piece)));
  });
}
