/**
 * Cloud Storage's JSON API, enough for a probe and for a writer and a reader of objects:
 * object insert (`uploadType=media` and `multipart`), get (metadata or `alt=media`), list and
 * delete, and bucket get. Every request needs a valid bearer token.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendGoogleError, type GoogleApiError } from './google-errors.js';
import { readBody, sendBytes, sendJson } from './http.js';

export interface StoredObject {
  readonly data: Buffer;
  readonly contentType: string;
  readonly generation: string;
  readonly created: Date;
  readonly metadata: Readonly<Record<string, string>>;
}

/** Who a request is authenticated as, or the error to answer with. */
export type Authenticate = (
  req: IncomingMessage,
  service: 'storage' | 'bigquery' | 'iam',
) => { ok: true; principal: string } | { ok: false; error: GoogleApiError };

/** Buckets by name, objects by name. */
export type GcsBuckets = Map<string, Map<string, StoredObject>>;

function objectResource(base: string, bucket: string, name: string, object: StoredObject): object {
  const encoded = encodeURIComponent(name);
  return {
    kind: 'storage#object',
    id: `${bucket}/${name}/${object.generation}`,
    selfLink: `${base}/storage/v1/b/${bucket}/o/${encoded}`,
    mediaLink: `${base}/download/storage/v1/b/${bucket}/o/${encoded}?generation=${object.generation}&alt=media`,
    name,
    bucket,
    generation: object.generation,
    metageneration: '1',
    contentType: object.contentType,
    storageClass: 'STANDARD',
    size: String(object.data.length),
    md5Hash: createHash('md5').update(object.data).digest('base64'),
    etag: createHash('md5').update(object.generation).digest('base64').slice(0, 12),
    timeCreated: object.created.toISOString(),
    updated: object.created.toISOString(),
    ...(Object.keys(object.metadata).length > 0 ? { metadata: object.metadata } : {}),
  };
}

/** Splits a `multipart/related` body into its parts (headers are dropped; JSON metadata comes first). */
function multipartParts(
  body: Buffer,
  contentType: string,
): { metadata: Record<string, unknown>; data: Buffer; dataType: string } | undefined {
  const boundary = /boundary="?([^";]+)"?/i.exec(contentType)?.[1];
  if (!boundary) return undefined;
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: Buffer[] = [];
  let start = body.indexOf(delimiter);
  while (start !== -1) {
    const next = body.indexOf(delimiter, start + delimiter.length);
    if (next === -1) break;
    parts.push(body.subarray(start + delimiter.length, next));
    start = next;
  }
  const decoded = parts.map((part) => {
    const split = part.indexOf('\r\n\r\n');
    const head = part.subarray(0, split).toString('utf8');
    let content = part.subarray(split + 4);
    if (content.subarray(-2).toString() === '\r\n') content = content.subarray(0, -2);
    return { type: /content-type:\s*([^\r\n]+)/i.exec(head)?.[1]?.trim() ?? 'application/octet-stream', content };
  });
  const [meta, media] = decoded;
  if (!meta || !media) return undefined;
  try {
    const metadata: unknown = JSON.parse(meta.content.toString('utf8'));
    if (typeof metadata !== 'object' || metadata === null) return undefined;
    return { metadata: metadata as Record<string, unknown>, data: media.content, dataType: media.type };
  } catch {
    return undefined;
  }
}

export class GcsEmulator {
  constructor(
    private readonly buckets: GcsBuckets,
    private readonly authenticate: Authenticate,
    private readonly baseUrl: () => string,
  ) {}

  /** Serves a request whose path starts with /storage/v1, /upload/storage/v1 or /download/storage/v1. */
  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const body = await readBody(req);
    const auth = this.authenticate(req, 'storage');
    if (!auth.ok) return sendGoogleError(res, auth.error);
    const m = /^\/(upload\/|download\/)?storage\/v1\/b\/([^/]+)(\/o(?:\/(.+))?)?$/.exec(url.pathname);
    if (!m) return sendGoogleError(res, { status: 404, message: 'Not Found', reason: 'notFound' });
    const [, prefix, rawBucket = '', objectSegment, rawObject] = m;
    const bucketName = decodeURIComponent(rawBucket);
    const bucket = this.buckets.get(bucketName);
    if (!bucket)
      return sendGoogleError(res, { status: 404, message: 'The specified bucket does not exist.', reason: 'notFound' });
    const method = req.method ?? 'GET';

    if (prefix === 'upload/' && method === 'POST') return this.insert(req, res, url, body, bucketName, bucket);
    if (objectSegment === undefined) {
      if (method !== 'GET')
        return sendGoogleError(res, { status: 405, message: 'Method not allowed', reason: 'methodNotAllowed' });
      return sendJson(res, 200, {
        kind: 'storage#bucket',
        id: bucketName,
        name: bucketName,
        location: 'US',
        storageClass: 'STANDARD',
        locationType: 'multi-region',
      });
    }
    if (rawObject === undefined) {
      if (method !== 'GET')
        return sendGoogleError(res, { status: 405, message: 'Method not allowed', reason: 'methodNotAllowed' });
      return this.list(res, url, bucketName, bucket);
    }
    const name = decodeURIComponent(rawObject);
    const object = bucket.get(name);
    if (!object)
      return sendGoogleError(res, {
        status: 404,
        message: `No such object: ${bucketName}/${name}`,
        reason: 'notFound',
      });
    if (method === 'DELETE') {
      bucket.delete(name);
      res.writeHead(204).end();
      return;
    }
    if (method !== 'GET')
      return sendGoogleError(res, { status: 405, message: 'Method not allowed', reason: 'methodNotAllowed' });
    if (url.searchParams.get('alt') === 'media' || prefix === 'download/')
      return sendBytes(res, 200, object.data, object.contentType, { 'x-goog-generation': object.generation });
    sendJson(res, 200, objectResource(this.baseUrl(), bucketName, name, object));
  }

  private insert(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    body: Buffer,
    bucketName: string,
    bucket: Map<string, StoredObject>,
  ): void {
    const uploadType = url.searchParams.get('uploadType') ?? 'media';
    const contentType = String(req.headers['content-type'] ?? 'application/octet-stream');
    let name = url.searchParams.get('name') ?? undefined;
    let data = body;
    let objectType = contentType;
    let metadata: Record<string, string> = {};
    if (uploadType === 'multipart') {
      const parts = multipartParts(body, contentType);
      if (!parts)
        return sendGoogleError(res, {
          status: 400,
          message: 'Invalid multipart request with 0 mime parts.',
          reason: 'invalid',
        });
      name = typeof parts.metadata.name === 'string' ? parts.metadata.name : name;
      data = parts.data;
      objectType = typeof parts.metadata.contentType === 'string' ? parts.metadata.contentType : parts.dataType;
      const given = parts.metadata.metadata;
      if (typeof given === 'object' && given !== null)
        metadata = Object.fromEntries(Object.entries(given).map(([k, v]) => [k, String(v)]));
    } else if (uploadType !== 'media') {
      return sendGoogleError(res, {
        status: 400,
        message: `Invalid upload type: ${uploadType}. The emulator supports media and multipart.`,
        reason: 'invalid',
      });
    }
    if (!name) return sendGoogleError(res, { status: 400, message: 'Required', reason: 'required' });
    const object: StoredObject = {
      data,
      contentType: objectType,
      generation: String(Date.now() * 1000 + (randomBytes(2).readUInt16BE() % 1000)),
      created: new Date(),
      metadata,
    };
    bucket.set(name, object);
    sendJson(res, 200, objectResource(this.baseUrl(), bucketName, name, object));
  }

  private list(res: ServerResponse, url: URL, bucketName: string, bucket: Map<string, StoredObject>): void {
    const prefix = url.searchParams.get('prefix') ?? '';
    const delimiter = url.searchParams.get('delimiter') ?? '';
    const items: object[] = [];
    const prefixes = new Set<string>();
    for (const [name, object] of [...bucket].sort(([a], [b]) => a.localeCompare(b))) {
      if (!name.startsWith(prefix)) continue;
      const rest = name.slice(prefix.length);
      const cut = delimiter ? rest.indexOf(delimiter) : -1;
      if (cut !== -1) prefixes.add(prefix + rest.slice(0, cut + delimiter.length));
      else items.push(objectResource(this.baseUrl(), bucketName, name, object));
    }
    sendJson(res, 200, {
      kind: 'storage#objects',
      ...(items.length > 0 ? { items } : {}),
      ...(prefixes.size > 0 ? { prefixes: [...prefixes] } : {}),
    });
  }
}
