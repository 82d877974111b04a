/**
 * The emulated AWS control plane: IAM users and their access keys, with AWS's limits, error
 * codes and wording, and STS GetCallerIdentity — over the Query protocol the official SDK
 * (`@aws-sdk/client-iam`, `@aws-sdk/client-sts`) speaks, every request SigV4-checked. The same
 * store decides which keys the data planes (s3rver, Athena) accept: a key is refused while it is
 * inactive, after it is deleted, and — with a consistency delay — for a while after it is created.
 * Deny rules per action let a test take one permission away.
 */
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { asyncHandler, readBody } from './http.js';
import { verifySigV4 } from './sigv4.js';

const IAM_NS = 'https://iam.amazonaws.com/doc/2010-05-08/';
const STS_NS = 'https://sts.amazonaws.com/doc/2011-06-15/';
/** AWS's quota: access keys per IAM user, active or not. */
export const ACCESS_KEYS_PER_USER = 2;
const KEY_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const SECRET_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

const pick = (alphabet: string, length: number) =>
  Array.from({ length }, () => alphabet[randomInt(alphabet.length)]).join('');

export interface IamUser {
  readonly name: string;
  readonly userId: string;
  readonly arn: string;
  readonly createDate: Date;
}

export interface IamKey {
  readonly accessKeyId: string;
  readonly user: string;
  readonly secret: string;
  status: 'Active' | 'Inactive';
  readonly createDate: Date;
  /** The key is accepted from this instant on (eventual consistency of new keys). */
  readonly validFrom: number;
  lastUsed?: Date;
  lastUsedService?: string;
  lastUsedRegion?: string;
  /** Uses not reported yet by GetAccessKeyLastUsed (younger than the store's `lastUsedDelayMs`), oldest first. */
  unreported?: { at: number; service: string; region: string }[];
  /** The last use GetAccessKeyLastUsed reports. */
  reported?: { at: Date; service: string; region: string };
}

/** A denied action: `iam:CreateAccessKey`, for every caller or for one user. */
export interface DenyRule {
  readonly action: string;
  readonly user?: string;
}

export interface IamStoreOptions {
  readonly accountId: string;
  /** How long a new key is refused after CreateAccessKey (AWS: a few seconds). Default 0. */
  readonly consistencyDelayMs?: number;
  /** The store's clock (ms), for creation and last-use times and the consistency delay. Default Date.now. */
  readonly clock?: () => number;
  /** How late GetAccessKeyLastUsed reports a use (AWS: up to about 4 hours). Default 0. */
  readonly lastUsedDelayMs?: number;
}

const xmlEscape = (value: string) =>
  value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const isoSeconds = (date: Date) => date.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Users, keys and deny rules of one emulated account. */
export class IamStore {
  readonly accountId: string;
  readonly users = new Map<string, IamUser>();
  readonly keys = new Map<string, IamKey>();
  private readonly denies: DenyRule[] = [];
  consistencyDelayMs: number;
  /** How late GetAccessKeyLastUsed reports a use; a test may change it. */
  lastUsedDelayMs: number;
  private readonly clock: () => number;

  constructor(options: IamStoreOptions) {
    this.accountId = options.accountId;
    this.consistencyDelayMs = options.consistencyDelayMs ?? 0;
    this.lastUsedDelayMs = options.lastUsedDelayMs ?? 0;
    this.clock = options.clock ?? Date.now;
  }

  now(): Date {
    return new Date(this.clock());
  }

  /** Creates an IAM user if it does not exist. */
  ensureUser(name: string): IamUser {
    let user = this.users.get(name);
    if (!user) {
      user = {
        name,
        userId: `AIDA${pick(KEY_ALPHABET, 17)}`,
        arn: `arn:aws:iam::${this.accountId}:user/${name}`,
        createDate: this.now(),
      };
      this.users.set(name, user);
    }
    return user;
  }

  /** Registers a key as issued and valid at once (what `trustCredential` does for a layout's keys). */
  putKey(accessKeyId: string, secret: string, user: string): IamKey {
    this.ensureUser(user);
    const previous = this.keys.get(accessKeyId);
    const key: IamKey = {
      accessKeyId,
      user,
      secret,
      status: 'Active',
      createDate: previous?.createDate ?? this.now(),
      validFrom: this.clock(),
      ...(previous?.lastUsed
        ? {
            lastUsed: previous.lastUsed,
            lastUsedService: previous.lastUsedService ?? 'N/A',
            lastUsedRegion: previous.lastUsedRegion ?? 'N/A',
          }
        : {}),
    };
    this.keys.set(accessKeyId, key);
    return key;
  }

  /** Mints a key for `user` as CreateAccessKey does (limit checked by the caller). */
  createKey(user: string): IamKey {
    let accessKeyId: string;
    do accessKeyId = `AKIA${pick(KEY_ALPHABET, 16)}`;
    while (this.keys.has(accessKeyId));
    const key: IamKey = {
      accessKeyId,
      user,
      secret: pick(SECRET_ALPHABET, 40),
      status: 'Active',
      createDate: this.now(),
      validFrom: this.clock() + this.consistencyDelayMs,
    };
    this.keys.set(accessKeyId, key);
    return key;
  }

  keysOf(user: string): IamKey[] {
    return [...this.keys.values()].filter((k) => k.user === user);
  }

  /** The secret of a key the data planes accept now: it exists, is active and has propagated. */
  secretOf(accessKeyId: string): string | undefined {
    const key = this.keys.get(accessKeyId);
    if (!key || key.status !== 'Active' || this.clock() < key.validFrom) return undefined;
    return key.secret;
  }

  /**
   * Records a use of a key. `at` is when the request arrived (ms, default now): AWS dates a use by
   * the request, so a slow answer to a replaced pod's last request is not a use after its restart.
   */
  markUsed(accessKeyId: string, service: string, region = 'us-east-1', at = this.clock()): void {
    const key = this.keys.get(accessKeyId);
    if (!key) return;
    key.lastUsed = new Date(at);
    key.lastUsedService = service;
    key.lastUsedRegion = region;
    (key.unreported ??= []).push({ at, service, region });
  }

  /** The last use as GetAccessKeyLastUsed reports it: a use younger than `lastUsedDelayMs` is not reported yet. */
  reportedUse(key: IamKey): IamKey['reported'] {
    const horizon = this.clock() - this.lastUsedDelayMs;
    const pending = key.unreported ?? [];
    const settled = pending.filter((u) => u.at <= horizon).at(-1);
    if (settled) key.reported = { at: new Date(settled.at), service: settled.service, region: settled.region };
    key.unreported = pending.filter((u) => u.at > horizon);
    if (!key.reported && key.lastUsed && pending.length === 0)
      // A use carried over by putKey, before any was recorded here.
      key.reported = { at: key.lastUsed, service: key.lastUsedService ?? 'N/A', region: key.lastUsedRegion ?? 'N/A' };
    return key.reported;
  }

  deny(action: string, user?: string): void {
    this.denies.push({ action, ...(user !== undefined ? { user } : {}) });
  }

  /** Removes every deny rule of `action` (or every rule). */
  allow(action?: string): void {
    for (let i = this.denies.length - 1; i >= 0; i--)
      if (action === undefined || this.denies[i]?.action === action) this.denies.splice(i, 1);
  }

  isDenied(action: string, user: string): boolean {
    return this.denies.some((rule) => rule.action === action && (rule.user === undefined || rule.user === user));
  }
}

interface QueryError {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  readonly type?: 'Sender' | 'Receiver';
}

type Params = URLSearchParams;

/** The IAM and STS Query APIs over one store, on one port (the SDK's `endpoint` for both clients). */
export class IamEmulator {
  constructor(private readonly store: IamStore) {}

  readonly handler = asyncHandler(async (req, res) => this.handle(req, res));

  private send(res: ServerResponse, status: number, xml: string): void {
    if (res.headersSent || res.destroyed) return;
    const body = `<?xml version="1.0" encoding="UTF-8"?>\n${xml}`;
    res.writeHead(status, {
      'Content-Type': 'text/xml',
      'Content-Length': Buffer.byteLength(body),
      'x-amzn-RequestId': randomUUID(),
    });
    res.end(body);
  }

  private error(res: ServerResponse, namespace: string, error: QueryError): void {
    this.send(
      res,
      error.status,
      `<ErrorResponse xmlns="${namespace}"><Error><Type>${error.type ?? 'Sender'}</Type><Code>${error.code}</Code><Message>${xmlEscape(error.message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
    );
  }

  private ok(res: ServerResponse, namespace: string, action: string, result: string): void {
    this.send(
      res,
      200,
      `<${action}Response xmlns="${namespace}">${result ? `<${action}Result>${result}</${action}Result>` : ''}<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${action}Response>`,
    );
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const params = new URLSearchParams(req.method === 'POST' ? body.toString('utf8') : (req.url ?? '').split('?')[1]);
    const action = params.get('Action') ?? '';
    const isSts = action === 'GetCallerIdentity';
    const namespace = isSts ? STS_NS : IAM_NS;
    const auth = await verifySigV4(
      { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body },
      isSts ? 'sts' : 'iam',
      (id) => this.store.secretOf(id),
    );
    if (!auth.ok) {
      const unknownKey = auth.error.type === 'UnrecognizedClientException';
      const missing = auth.error.type === 'MissingAuthenticationTokenException';
      return this.error(res, namespace, {
        status: missing ? 400 : 403,
        code: unknownKey ? 'InvalidClientTokenId' : missing ? 'MissingAuthenticationToken' : 'SignatureDoesNotMatch',
        message: unknownKey ? 'The security token included in the request is invalid.' : auth.error.message,
      });
    }
    const callerKey = this.store.keys.get(auth.accessKeyId);
    const caller = callerKey ? this.store.users.get(callerKey.user) : undefined;
    if (!callerKey || !caller)
      return this.error(res, namespace, {
        status: 403,
        code: 'InvalidClientTokenId',
        message: 'The security token included in the request is invalid.',
      });
    this.store.markUsed(auth.accessKeyId, isSts ? 'sts' : 'iam', auth.region);
    if (isSts) return this.getCallerIdentity(res, caller);
    const permission = `iam:${action}`;
    const targetUser = params.get('UserName') ?? caller.name;
    if (this.store.isDenied(permission, caller.name))
      return this.error(res, namespace, {
        status: 403,
        code: 'AccessDenied',
        message: `User: ${caller.arn} is not authorized to perform: ${permission} on resource: user ${targetUser} because no identity-based policy allows the ${permission} action`,
      });
    switch (action) {
      case 'CreateAccessKey':
        return this.createAccessKey(res, targetUser);
      case 'ListAccessKeys':
        return this.listAccessKeys(res, targetUser);
      case 'UpdateAccessKey':
        return this.updateAccessKey(res, targetUser, params);
      case 'DeleteAccessKey':
        return this.deleteAccessKey(res, targetUser, params);
      case 'GetAccessKeyLastUsed':
        return this.getAccessKeyLastUsed(res, params);
      case 'GetUser':
        return this.getUser(res, targetUser);
      case 'SimulatePrincipalPolicy':
        return this.simulatePrincipalPolicy(res, params);
      default:
        return this.error(res, namespace, {
          status: 400,
          code: 'InvalidAction',
          message: `Could not find operation ${action} for version 2010-05-08`,
        });
    }
  }

  private noSuchUser(res: ServerResponse, name: string): void {
    this.error(res, IAM_NS, {
      status: 404,
      code: 'NoSuchEntity',
      message: `The user with name ${name} cannot be found.`,
    });
  }

  private noSuchKey(res: ServerResponse, id: string): void {
    this.error(res, IAM_NS, {
      status: 404,
      code: 'NoSuchEntity',
      message: `The Access Key with id ${id} cannot be found.`,
    });
  }

  private getCallerIdentity(res: ServerResponse, user: IamUser): void {
    this.ok(
      res,
      STS_NS,
      'GetCallerIdentity',
      `<Arn>${user.arn}</Arn><UserId>${user.userId}</UserId><Account>${this.store.accountId}</Account>`,
    );
  }

  private getUser(res: ServerResponse, name: string): void {
    const user = this.store.users.get(name);
    if (!user) return this.noSuchUser(res, name);
    this.ok(
      res,
      IAM_NS,
      'GetUser',
      `<User><Path>/</Path><UserName>${user.name}</UserName><UserId>${user.userId}</UserId><Arn>${user.arn}</Arn><CreateDate>${isoSeconds(user.createDate)}</CreateDate></User>`,
    );
  }

  private createAccessKey(res: ServerResponse, name: string): void {
    if (!this.store.users.has(name)) return this.noSuchUser(res, name);
    if (this.store.keysOf(name).length >= ACCESS_KEYS_PER_USER)
      return this.error(res, IAM_NS, {
        status: 409,
        code: 'LimitExceeded',
        message: `Cannot exceed quota for AccessKeysPerUser: ${ACCESS_KEYS_PER_USER}`,
      });
    const key = this.store.createKey(name);
    this.ok(
      res,
      IAM_NS,
      'CreateAccessKey',
      `<AccessKey><UserName>${name}</UserName><AccessKeyId>${key.accessKeyId}</AccessKeyId><Status>Active</Status><SecretAccessKey>${key.secret}</SecretAccessKey><CreateDate>${isoSeconds(key.createDate)}</CreateDate></AccessKey>`,
    );
  }

  private listAccessKeys(res: ServerResponse, name: string): void {
    if (!this.store.users.has(name)) return this.noSuchUser(res, name);
    const members = this.store
      .keysOf(name)
      .map(
        (k) =>
          `<member><UserName>${name}</UserName><AccessKeyId>${k.accessKeyId}</AccessKeyId><Status>${k.status}</Status><CreateDate>${isoSeconds(k.createDate)}</CreateDate></member>`,
      )
      .join('');
    this.ok(
      res,
      IAM_NS,
      'ListAccessKeys',
      `<UserName>${name}</UserName><AccessKeyMetadata>${members}</AccessKeyMetadata><IsTruncated>false</IsTruncated>`,
    );
  }

  private keyOfUser(res: ServerResponse, name: string, params: Params): IamKey | undefined {
    const id = params.get('AccessKeyId') ?? '';
    if (!this.store.users.has(name)) {
      this.noSuchUser(res, name);
      return undefined;
    }
    const key = this.store.keys.get(id);
    if (!key || key.user !== name) {
      this.noSuchKey(res, id);
      return undefined;
    }
    return key;
  }

  private updateAccessKey(res: ServerResponse, name: string, params: Params): void {
    const status = params.get('Status');
    if (status !== 'Active' && status !== 'Inactive')
      return this.error(res, IAM_NS, {
        status: 400,
        code: 'ValidationError',
        message: `1 validation error detected: Value '${status ?? 'null'}' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]`,
      });
    const key = this.keyOfUser(res, name, params);
    if (!key) return;
    key.status = status;
    this.ok(res, IAM_NS, 'UpdateAccessKey', '');
  }

  private deleteAccessKey(res: ServerResponse, name: string, params: Params): void {
    const key = this.keyOfUser(res, name, params);
    if (!key) return;
    this.store.keys.delete(key.accessKeyId);
    this.ok(res, IAM_NS, 'DeleteAccessKey', '');
  }

  private getAccessKeyLastUsed(res: ServerResponse, params: Params): void {
    const id = params.get('AccessKeyId') ?? '';
    const key = this.store.keys.get(id);
    if (!key) return this.noSuchKey(res, id);
    const reported = this.store.reportedUse(key);
    const used = reported
      ? `<LastUsedDate>${isoSeconds(reported.at)}</LastUsedDate><ServiceName>${reported.service}</ServiceName><Region>${reported.region}</Region>`
      : '<ServiceName>N/A</ServiceName><Region>N/A</Region>';
    this.ok(
      res,
      IAM_NS,
      'GetAccessKeyLastUsed',
      `<UserName>${key.user}</UserName><AccessKeyLastUsed>${used}</AccessKeyLastUsed>`,
    );
  }

  /** The deny rules as IAM's policy simulator would report them for one user. */
  private simulatePrincipalPolicy(res: ServerResponse, params: Params): void {
    const source = params.get('PolicySourceArn') ?? '';
    const user = [...this.store.users.values()].find((u) => u.arn === source);
    if (!user)
      return this.error(res, IAM_NS, {
        status: 404,
        code: 'NoSuchEntity',
        message: `The user with name ${source.split('/').pop() ?? source} cannot be found.`,
      });
    const actions: string[] = [];
    for (let i = 1; params.has(`ActionNames.member.${i}`); i++)
      actions.push(params.get(`ActionNames.member.${i}`) ?? '');
    const members = actions
      .map((action) => {
        const denied = this.store.isDenied(action, user.name);
        return `<member><EvalActionName>${xmlEscape(action)}</EvalActionName><EvalResourceName>*</EvalResourceName><EvalDecision>${denied ? 'implicitDeny' : 'allowed'}</EvalDecision><MatchedStatements/><MissingContextValues/></member>`;
      })
      .join('');
    this.ok(
      res,
      IAM_NS,
      'SimulatePrincipalPolicy',
      `<EvaluationResults>${members}</EvaluationResults><IsTruncated>false</IsTruncated>`,
    );
  }
}

/** A random secret for tests that register keys by hand. */
export function randomAwsSecret(): string {
  return randomBytes(30).toString('base64').slice(0, 40);
}
