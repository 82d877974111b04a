/**
 * Azure storage connection strings (`DefaultEndpointsProtocol=https;AccountName=…;AccountKey=…;
 * EndpointSuffix=…`): read the account and key, and swap the key keeping every other segment.
 */

/** What a connection string authenticates with. */
export type ConnectionStringContent =
  | { readonly kind: 'account-key'; readonly accountName: string; readonly accountKey: string }
  /** A shared access signature or no credential at all: nothing to rotate. */
  | { readonly kind: 'no-account-key' }
  | { readonly kind: 'invalid'; readonly problem: string };

interface Segment {
  readonly name: string;
  readonly value: string;
}

function segmentsOf(text: string): Segment[] | string {
  const segments: Segment[] = [];
  const seen = new Set<string>();
  for (const part of text.split(';')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0) return 'a segment is not of the form Name=value';
    const name = part.slice(0, eq).trim();
    if (seen.has(name.toLowerCase())) return `the segment ${name} appears twice`;
    seen.add(name.toLowerCase());
    segments.push({ name, value: part.slice(eq + 1) });
  }
  return segments;
}

/** Reads a connection string. Problems quote no value. */
export function readConnectionString(text: string): ConnectionStringContent {
  const segments = segmentsOf(text);
  if (typeof segments === 'string') return { kind: 'invalid', problem: segments };
  const get = (name: string): string | undefined =>
    segments.find((s) => s.name.toLowerCase() === name.toLowerCase())?.value;
  const accountKey = get('AccountKey');
  if (accountKey === undefined || accountKey === '') return { kind: 'no-account-key' };
  const accountName = get('AccountName');
  if (!accountName) return { kind: 'invalid', problem: 'it has an AccountKey but no AccountName' };
  return { kind: 'account-key', accountName, accountKey };
}

/** Returns `text` with the value of its AccountKey segment replaced; every other character is kept. */
export function withAccountKey(text: string, accountKey: string): string {
  const parts = text.split(';');
  return parts
    .map((part) => {
      const eq = part.indexOf('=');
      return eq > 0 && part.slice(0, eq).trim().toLowerCase() === 'accountkey'
        ? `${part.slice(0, eq + 1)}${accountKey}`
        : part;
    })
    .join(';');
}
