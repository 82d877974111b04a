/**
 * The emulated AWS data plane: S3 served by `@20minutes/s3rver` (which checks SigV4 against the
 * secret we register) and Athena's JSON API served by {@link AthenaEmulator}, both trusting the
 * same set of IAM access keys that a test allows and revokes at run time.
 */
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { AthenaEmulator } from './athena.js';
import { ACCESS_KEYS_PER_USER, IamEmulator, IamStore } from './aws-iam.js';
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

/** One IAM access key of the emulated account (never its secret). */
export interface AwsKeyRecord {
  readonly accessKeyId: string;
  readonly user: string;
  /** `Inactive` keys are refused by every data plane and by STS, as in AWS. */
  readonly status: 'Active' | 'Inactive';
  readonly createDate: Date;
  /** When a request signed with this key last reached S3, Athena, IAM or STS. */
  lastUsed?: Date;
  /** Which service it was (`s3`, `athena`, `iam`, `sts`). */
  lastUsedService?: string;
  lastUsedRegion?: string;
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
 * Controls of the emulated AWS account: its IAM users and access keys (also served through the
 * IAM and STS APIs at {@link AwsSim.iamEndpoint}), and its buckets. Every active key works on S3
 * and Athena alike, like a key of an IAM user whose policy allows both.
 */
export interface AwsSimOptions {
  readonly accountId: string;
  /** How long a key made by CreateAccessKey is refused everywhere (AWS: seconds). Default 0. */
  readonly consistencyDelayMs?: number;
  /** Clock of the IAM store (ms). Default Date.now. */
  readonly clock?: () => number;
  /** How late GetAccessKeyLastUsed reports a use (AWS: up to about 4 hours). Default 0. */
  readonly lastUsedDelayMs?: number;
}

export class AwsSim {
  private constructor(
    readonly accountId: string,
    /** The IAM users, keys and deny rules (tests may change them directly). */
    readonly iam: IamStore,
    private readonly account: S3rverAccount,
    private readonly registry: Map<string, S3rverAccount>,
    private readonly s3rver: S3rverInstance,
    private readonly s3Port: number,
    private readonly athenaServer: LoopbackServer,
    private readonly iamServer: LoopbackServer,
  ) {}

  /** Starts S3 (s3rver, storing under `directory`), Athena and IAM/STS on loopback ports. */
  static async start(directory: string, options: AwsSimOptions | string): Promise<AwsSim> {
    const opts: AwsSimOptions = typeof options === 'string' ? { accountId: options } : options;
    const accountId = opts.accountId;
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
    const iam = new IamStore({
      accountId,
      ...(opts.consistencyDelayMs !== undefined ? { consistencyDelayMs: opts.consistencyDelayMs } : {}),
      ...(opts.clock ? { clock: opts.clock } : {}),
      ...(opts.lastUsedDelayMs !== undefined ? { lastUsedDelayMs: opts.lastUsedDelayMs } : {}),
    });
    // Runs before s3rver's own middleware: s3rver lets unsigned requests through as anonymous,
    // and its key registry is shared by every s3rver in the process, so this simulator decides
    // which keys exist and points the registry at its own secret before s3rver checks the signature.
    // An inactive or not yet propagated key is refused as S3 refuses it: InvalidAccessKeyId.
    s3rver.middleware.unshift(async (ctx, next) => {
      const keyId = claimedKeyId(ctx);
      if (keyId === undefined) return s3Error(ctx, 403, 'AccessDenied', 'Access Denied');
      const secret = iam.secretOf(keyId);
      if (secret === undefined)
        return s3Error(
          ctx,
          403,
          'InvalidAccessKeyId',
          'The AWS Access Key Id you provided does not exist in our records.',
          `<AWSAccessKeyId>${keyId.replace(/[<>&]/g, '')}</AWSAccessKeyId>`,
        );
      if (AWSAccount.registry.get(keyId) !== account) account.createKeyPair(keyId, secret);
      const arrivedAt = iam.now().getTime();
      await next();
      if (ctx.status < 400) iam.markUsed(keyId, 's3', undefined, arrivedAt);
    });
    const { port } = await s3rver.run();
    const servers: LoopbackServer[] = [];
    try {
      const emulator = new AthenaEmulator(
        (id) => iam.secretOf(id),
        (id) => iam.markUsed(id, 'athena'),
        async (bucket) => Boolean(await s3rver.store.getBucket(bucket)),
      );
      servers.push(await LoopbackServer.start(emulator.handler));
      servers.push(await LoopbackServer.start(new IamEmulator(iam).handler));
    } catch (error: unknown) {
      await Promise.allSettled([s3rver.close(), ...servers.map((s) => s.stop())]);
      throw error;
    }
    const [athena, iamServer] = servers as [LoopbackServer, LoopbackServer];
    return new AwsSim(accountId, iam, account, AWSAccount.registry, s3rver, port, athena, iamServer);
  }

  /** S3 endpoint (path-style buckets). */
  get s3Endpoint(): string {
    return `http://127.0.0.1:${this.s3Port}`;
  }

  /** Athena endpoint (AWS JSON 1.1). */
  get athenaEndpoint(): string {
    return this.athenaServer.url;
  }

  /** IAM and STS endpoint (Query protocol; the `endpoint` of both SDK clients). */
  get iamEndpoint(): string {
    return this.iamServer.url;
  }

  /** Makes an access key valid on S3, Athena, IAM and STS at once (a key of `user`, created if missing). */
  allowKey(accessKeyId: string, secretAccessKey: string, user = 'kubecost'): void {
    if (!/^[A-Z0-9]{16,128}$/.test(accessKeyId))
      throw new Error(`cloud-sim: ${accessKeyId} is not shaped like an AWS access key id`);
    this.iam.putKey(accessKeyId, secretAccessKey, user);
    this.account.createKeyPair(accessKeyId, secretAccessKey);
  }

  /** Deletes an access key (as DeleteAccessKey): invalid everywhere from now on. Idempotent. */
  revokeKey(accessKeyId: string): void {
    this.iam.keys.delete(accessKeyId);
    // Leave s3rver's shared registry alone when another simulator in the process uses the key.
    if (this.registry.get(accessKeyId) === this.account) this.account.revokeAccessKey(accessKeyId);
  }

  /** Whether a key is accepted now (exists, active, propagated). */
  isAllowed(accessKeyId: string): boolean {
    return this.iam.secretOf(accessKeyId) !== undefined;
  }

  /** The keys (ids, users, status, creation and last use; never secrets), of one user or all. */
  listKeys(user?: string): AwsKeyRecord[] {
    return [...this.iam.keys.values()]
      .filter((k) => user === undefined || k.user === user)
      .map(({ accessKeyId, user: u, status, createDate, lastUsed, lastUsedService, lastUsedRegion }) => ({
        accessKeyId,
        user: u,
        status,
        createDate,
        ...(lastUsed ? { lastUsed, lastUsedService, lastUsedRegion } : {}),
      }));
  }

  /**
   * CreateAccessKey without the API (what `sandbox new-key` needs): a new key of `user`, refused
   * as IAM refuses a third key; accepted everywhere once the consistency delay has passed.
   */
  createAccessKey(user: string): { accessKeyId: string; secretAccessKey: string } {
    this.iam.ensureUser(user);
    if (this.iam.keysOf(user).length >= ACCESS_KEYS_PER_USER)
      throw new Error(
        `cloud-sim: LimitExceeded: Cannot exceed quota for AccessKeysPerUser: ${ACCESS_KEYS_PER_USER} (user ${user})`,
      );
    const key = this.iam.createKey(user);
    return { accessKeyId: key.accessKeyId, secretAccessKey: key.secret };
  }

  /**
   * An IAM user that may call IAM (every action unless denied), with one access key: the
   * identity kubecost-rotate's AWS provider manages keys as, in tests and the sandbox.
   */
  createAdmin(name = 'kubecost-rotate-admin'): {
    user: string;
    arn: string;
    accessKeyId: string;
    secretAccessKey: string;
  } {
    const user = this.iam.ensureUser(name);
    const key = this.iam.createKey(name);
    // An admin key is usable at once, whatever the consistency delay.
    this.iam.keys.set(key.accessKeyId, { ...key, validFrom: 0 });
    return { user: name, arn: user.arn, accessKeyId: key.accessKeyId, secretAccessKey: key.secret };
  }

  /** Creates an S3 bucket if it does not exist. Accepts `s3://name/...` too. */
  async ensureBucket(name: string): Promise<void> {
    const bucket = name.replace(/^s3:\/\//, '').split('/')[0] ?? '';
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket))
      throw new Error(`cloud-sim: ${name} is not a valid S3 bucket name`);
    if (!(await this.s3rver.store.getBucket(bucket))) await this.s3rver.store.putBucket(bucket);
  }

  async stop(): Promise<void> {
    for (const id of [...this.iam.keys.keys()]) this.revokeKey(id);
    await Promise.all([this.s3rver.close(), this.athenaServer.stop(), this.iamServer.stop()]);
  }
}
