/**
 * The emulated AWS data plane: S3 served by `@20minutes/s3rver` (which checks SigV4 against the
 * secret we register) and Athena's JSON API served by {@link AthenaEmulator}, both trusting the
 * same set of IAM access keys that a test allows and revokes at run time.
 */
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { AthenaEmulator } from './athena.js';
import { LoopbackServer } from './http.js';

const require = createRequire(import.meta.url);

/** The slice of a Koa context the S3 guard uses. */
interface KoaContext {
  get(name: string): string;
  readonly query: Record<string, unknown>;
  status: number;
  type: string;
  body: unknown;
}
type KoaMiddleware = (ctx: KoaContext, next: () => Promise<void>) => Promise<void>;

interface S3rverInstance {
  /** Koa's middleware list, composed when the server starts listening. */
  readonly middleware: KoaMiddleware[];
  readonly store: { getBucket(name: string): Promise<unknown>; putBucket(name: string): Promise<unknown> };
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverConstructor = new (options: object) => S3rverInstance;

/** s3rver's account model: a process-global registry from access key id to account. */
interface S3rverAccount {
  createKeyPair(accessKeyId: string, secretAccessKey: string): void;
  revokeAccessKey(accessKeyId: string): void;
}
type S3rverAccountConstructor = (new (id: number, displayName: string) => S3rverAccount) & {
  /** Access key id → account, shared by every s3rver in the process. */
  readonly registry: Map<string, S3rverAccount>;
  readonly DUMMY_ACCOUNT?: S3rverAccount;
};

/** One IAM access key the emulated AWS accepts. */
export interface AwsKeyRecord {
  readonly accessKeyId: string;
  readonly user: string;
  /** When a request signed with this key last reached S3 or Athena. */
  lastUsed?: Date;
  /** Which service it was (`s3` or `athena`). */
  lastUsedService?: string;
}

function s3Error(ctx: KoaContext, status: number, code: string, message: string, extra = ''): void {
  ctx.status = status;
  ctx.type = 'application/xml';
  ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message>${extra}<RequestId>${randomUUID().replace(/-/g, '').slice(0, 16).toUpperCase()}</RequestId></Error>`;
}

/** The access key id a signed S3 request claims (header or presigned query), if any. */
function claimedKeyId(ctx: KoaContext): string | undefined {
  const authorization = ctx.get('authorization');
  if (authorization) {
    return /Credential=([^/,\s]+)\//.exec(authorization)?.[1] ?? /^AWS ([^:\s]+):/.exec(authorization)?.[1] ?? '';
  }
  const credential = ctx.query['X-Amz-Credential'];
  if (typeof credential === 'string') return credential.split('/')[0] ?? '';
  const v2 = ctx.query.AWSAccessKeyId;
  if (typeof v2 === 'string') return v2;
  return undefined;
}

/**
 * Controls of the emulated AWS account: which access keys are valid, and which buckets exist.
 * Every allowed key works on S3 and Athena alike, like a key of an IAM user whose policy allows both.
 */
type KeyEntry = AwsKeyRecord & { readonly secret: string };

export class AwsSim {
  private constructor(
    readonly accountId: string,
    private readonly keys: Map<string, KeyEntry>,
    private readonly account: S3rverAccount,
    private readonly registry: Map<string, S3rverAccount>,
    private readonly s3rver: S3rverInstance,
    private readonly s3Port: number,
    private readonly athenaServer: LoopbackServer,
  ) {}

  /** Starts S3 (s3rver, storing under `directory`) and Athena on loopback ports. */
  static async start(directory: string, accountId: string): Promise<AwsSim> {
    const S3rver = require('@20minutes/s3rver') as S3rverConstructor;
    const AWSAccount = require('@20minutes/s3rver/lib/models/account.js') as S3rverAccountConstructor;
    // s3rver always accepts its built-in S3RVER/S3RVER key pair; a real account has no such key.
    AWSAccount.DUMMY_ACCOUNT?.revokeAccessKey('S3RVER');
    const s3rver = new S3rver({
      port: 0,
      address: '127.0.0.1',
      silent: true,
      directory,
      configureBuckets: [],
      allowMismatchedSignatures: false,
    });
    const account = new AWSAccount(Number(accountId), 'kubecost-rotate-sim');
    const keys = new Map<string, KeyEntry>();
    const markUsed = (accessKeyId: string, service: string) => {
      const key = keys.get(accessKeyId);
      if (key) {
        key.lastUsed = new Date();
        key.lastUsedService = service;
      }
    };
    // Runs before s3rver's own middleware: s3rver lets unsigned requests through as anonymous,
    // and its key registry is shared by every s3rver in the process, so this simulator decides
    // which keys exist and points the registry at its own secret before s3rver checks the signature.
    s3rver.middleware.unshift(async (ctx, next) => {
      const keyId = claimedKeyId(ctx);
      if (keyId === undefined) return s3Error(ctx, 403, 'AccessDenied', 'Access Denied');
      const key = keys.get(keyId);
      if (!key)
        return s3Error(
          ctx,
          403,
          'InvalidAccessKeyId',
          'The AWS Access Key Id you provided does not exist in our records.',
          `<AWSAccessKeyId>${keyId.replace(/[<>&]/g, '')}</AWSAccessKeyId>`,
        );
      if (AWSAccount.registry.get(keyId) !== account) account.createKeyPair(keyId, key.secret);
      await next();
      if (ctx.status < 400) markUsed(keyId, 's3');
    });
    const { port } = await s3rver.run();
    let athena: LoopbackServer;
    try {
      const emulator = new AthenaEmulator(
        (id) => keys.get(id)?.secret,
        (id) => markUsed(id, 'athena'),
        async (bucket) => Boolean(await s3rver.store.getBucket(bucket)),
      );
      athena = await LoopbackServer.start(emulator.handler);
    } catch (error: unknown) {
      await s3rver.close();
      throw error;
    }
    return new AwsSim(accountId, keys, account, AWSAccount.registry, s3rver, port, athena);
  }

  /** S3 endpoint (path-style buckets). */
  get s3Endpoint(): string {
    return `http://127.0.0.1:${this.s3Port}`;
  }

  /** Athena endpoint (AWS JSON 1.1). */
  get athenaEndpoint(): string {
    return this.athenaServer.url;
  }

  /** Makes an access key valid on S3 and Athena (a new key of `user`, or the same key again). */
  allowKey(accessKeyId: string, secretAccessKey: string, user = 'kubecost'): void {
    if (!/^[A-Z0-9]{16,128}$/.test(accessKeyId))
      throw new Error(`cloud-sim: ${accessKeyId} is not shaped like an AWS access key id`);
    const previous = this.keys.get(accessKeyId);
    this.keys.set(accessKeyId, {
      accessKeyId,
      user,
      secret: secretAccessKey,
      ...(previous?.lastUsed ? { lastUsed: previous.lastUsed } : {}),
    });
    this.account.createKeyPair(accessKeyId, secretAccessKey);
  }

  /** Makes an access key invalid everywhere (deleted or deactivated at IAM). Idempotent. */
  revokeKey(accessKeyId: string): void {
    this.keys.delete(accessKeyId);
    // Leave s3rver's shared registry alone when another simulator in the process uses the key.
    if (this.registry.get(accessKeyId) === this.account) this.account.revokeAccessKey(accessKeyId);
  }

  /** Whether a key is currently valid. */
  isAllowed(accessKeyId: string): boolean {
    return this.keys.has(accessKeyId);
  }

  /** The valid keys (ids, users and last use; never secrets). */
  listKeys(user?: string): AwsKeyRecord[] {
    return [...this.keys.values()]
      .filter((k) => user === undefined || k.user === user)
      .map(({ accessKeyId, user: u, lastUsed, lastUsedService }) => ({
        accessKeyId,
        user: u,
        ...(lastUsed ? { lastUsed, lastUsedService } : {}),
      }));
  }

  /** Creates an S3 bucket if it does not exist. Accepts `s3://name/...` too. */
  async ensureBucket(name: string): Promise<void> {
    const bucket = name.replace(/^s3:\/\//, '').split('/')[0] ?? '';
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket))
      throw new Error(`cloud-sim: ${name} is not a valid S3 bucket name`);
    if (!(await this.s3rver.store.getBucket(bucket))) await this.s3rver.store.putBucket(bucket);
  }

  async stop(): Promise<void> {
    for (const id of [...this.keys.keys()]) this.revokeKey(id);
    await Promise.all([this.s3rver.close(), this.athenaServer.stop()]);
  }
}
