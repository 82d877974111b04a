/**
 * The emulated Azure control plane, over TLS (Azure's SDKs send bearer tokens over https only;
 * the certificate is signed by a CA this simulator makes, given to clients as `tlsOptions.ca`):
 * - a Microsoft Entra ID-like authority (`/{tenant}/v2.0/.well-known/openid-configuration`,
 *   `/{tenant}/oauth2/v2.0/token` with the client-credentials grant), which `@azure/identity`'s
 *   ClientSecretCredential uses with `authorityHost` set to this server;
 * - ARM's storage accounts: list (per subscription), get, `listKeys` and `regenerateKey`, on the
 *   accounts and keys of azurite ({@link AzureSim}): a regenerated key is refused at once.
 * Deny rules take one ARM action away from every service principal (or from one).
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createClusterCertificates } from '../kube/tls.js';
import type { AzureKeySlot, AzureSim } from './azure.js';
import { asyncHandler, LoopbackServer, readBody, sendJson } from './http.js';

export interface ServicePrincipal {
  readonly tenantId: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly objectId: string;
}

export const ARM_ACTIONS = {
  read: 'Microsoft.Storage/storageAccounts/read',
  listKeys: 'Microsoft.Storage/storageAccounts/listKeys/action',
  regenerateKey: 'Microsoft.Storage/storageAccounts/regenerateKey/action',
} as const;

const TOKEN_LIFETIME_S = 3600;

interface IssuedToken {
  readonly principal: ServicePrincipal;
  readonly expiresAt: number;
}

export class AzureControlPlane {
  readonly subscriptionId: string;
  private readonly principals = new Map<string, ServicePrincipal>();
  private readonly tokens = new Map<string, IssuedToken>();
  private readonly denies: { readonly action: string; readonly clientId?: string }[] = [];
  private readonly resourceGroups = new Map<string, string>();
  private readonly signingKey = randomBytes(32);

  private constructor(
    private readonly storage: AzureSim,
    private readonly server: LoopbackServer,
    /** PEM of the CA that signed this server's certificate (pass it as `tlsOptions: { ca }`). */
    readonly caPem: string,
    subscriptionId: string,
  ) {
    this.subscriptionId = subscriptionId;
  }

  static async start(storage: AzureSim, subscriptionId = randomUUID()): Promise<AzureControlPlane> {
    const certificates = await createClusterCertificates('azure-control-plane');
    // The handler needs the plane, the plane needs the started server.
    const ready: { plane?: AzureControlPlane } = {};
    const server = await LoopbackServer.start(
      asyncHandler(async (req, res) => {
        if (!ready.plane) throw new Error('not ready');
        await ready.plane.handle(req, res);
      }),
      { cert: certificates.certPem, key: certificates.keyPem },
    );
    ready.plane = new AzureControlPlane(storage, server, certificates.caPem, subscriptionId);
    return ready.plane;
  }

  /** https://127.0.0.1:PORT: both the authority host and the ARM endpoint. */
  get url(): string {
    return this.server.url;
  }

  /** A service principal (an app registration with a client secret) that may manage storage keys unless denied. */
  createServicePrincipal(tenantId: string = randomUUID()): ServicePrincipal {
    const principal = {
      tenantId,
      clientId: randomUUID(),
      clientSecret: randomBytes(30).toString('base64url'),
      objectId: randomUUID(),
    };
    this.principals.set(principal.clientId, principal);
    return principal;
  }

  /** Puts a storage account in a resource group (default `kubecost`). */
  placeAccount(account: string, resourceGroup: string): void {
    this.resourceGroups.set(account, resourceGroup);
  }

  resourceGroupOf(account: string): string {
    return this.resourceGroups.get(account) ?? 'kubecost';
  }

  deny(action: string, clientId?: string): void {
    this.denies.push({ action, ...(clientId !== undefined ? { clientId } : {}) });
  }

  allow(action?: string): void {
    for (let i = this.denies.length - 1; i >= 0; i--)
      if (action === undefined || this.denies[i]?.action === action) this.denies.splice(i, 1);
  }

  async stop(): Promise<void> {
    this.tokens.clear();
    await this.server.stop();
  }

  private isDenied(action: string, clientId: string): boolean {
    return this.denies.some((d) => d.action === action && (d.clientId === undefined || d.clientId === clientId));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = (await readBody(req)).toString('utf8');
    const url = new URL(req.url ?? '/', this.url);
    const openid = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/.exec(url.pathname);
    if (openid) return this.openidConfiguration(res, openid[1] ?? '');
    const token = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(url.pathname);
    if (token && req.method === 'POST') return this.token(res, token[1] ?? '', new URLSearchParams(body));
    if (url.pathname.startsWith('/subscriptions/')) return this.arm(req, res, url, body);
    sendJson(res, 404, { error: { code: 'NotFound', message: `no such endpoint ${url.pathname}` } });
  }

  private openidConfiguration(res: ServerResponse, tenant: string): void {
    const base = `${this.url}/${tenant}`;
    sendJson(res, 200, {
      token_endpoint: `${base}/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      jwks_uri: `${base}/discovery/v2.0/keys`,
      response_modes_supported: ['query', 'fragment', 'form_post'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      issuer: `${base}/v2.0`,
      request_uri_parameter_supported: false,
      userinfo_endpoint: `${base}/oidc/userinfo`,
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
      http_logout_supported: true,
      frontchannel_logout_supported: true,
      end_session_endpoint: `${base}/oauth2/v2.0/logout`,
      claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'tid', 'oid'],
      tenant_region_scope: 'NA',
      cloud_instance_name: 'microsoftonline.com',
      cloud_graph_host_name: 'graph.windows.net',
      msgraph_host: 'graph.microsoft.com',
    });
  }

  private tokenError(res: ServerResponse, status: number, error: string, code: number, description: string): void {
    sendJson(res, status, {
      error,
      error_description: `AADSTS${code}: ${description} Trace ID: ${randomUUID()} Correlation ID: ${randomUUID()} Timestamp: ${new Date().toISOString()}`,
      error_codes: [code],
      timestamp: new Date().toISOString(),
      trace_id: randomUUID(),
      correlation_id: randomUUID(),
    });
  }

  private token(res: ServerResponse, tenant: string, form: URLSearchParams): void {
    if (form.get('grant_type') !== 'client_credentials')
      return this.tokenError(res, 400, 'unsupported_grant_type', 70003, 'The app requested an unsupported grant type.');
    const principal = this.principals.get(form.get('client_id') ?? '');
    if (!principal || principal.tenantId !== tenant)
      return this.tokenError(
        res,
        400,
        'unauthorized_client',
        700016,
        `Application with identifier '${form.get('client_id') ?? ''}' was not found in the directory '${tenant}'.`,
      );
    if (form.get('client_secret') !== principal.clientSecret)
      return this.tokenError(
        res,
        401,
        'invalid_client',
        7000215,
        `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${principal.clientId}'.`,
      );
    // A JWT in shape (what MSAL and ARM expect), signed with a key only this simulator knows.
    const now = Math.floor(Date.now() / 1000);
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const input = `${encode({ typ: 'JWT', alg: 'HS256' })}.${encode({
      aud: 'https://management.azure.com/',
      iss: `${this.url}/${tenant}/`,
      iat: now,
      nbf: now,
      exp: now + TOKEN_LIFETIME_S,
      appid: principal.clientId,
      oid: principal.objectId,
      tid: tenant,
      sub: principal.objectId,
    })}`;
    const accessToken = `${input}.${createHmac('sha256', this.signingKey).update(input).digest('base64url')}`;
    this.tokens.set(accessToken, { principal, expiresAt: Date.now() + TOKEN_LIFETIME_S * 1000 });
    sendJson(res, 200, {
      token_type: 'Bearer',
      expires_in: TOKEN_LIFETIME_S - 1,
      ext_expires_in: TOKEN_LIFETIME_S - 1,
      access_token: accessToken,
    });
  }

  private armError(res: ServerResponse, status: number, code: string, message: string): void {
    sendJson(
      res,
      status,
      { error: { code, message } },
      { 'x-ms-request-id': randomUUID(), 'x-ms-failure-cause': 'gateway' },
    );
  }

  private accountResource(name: string): Record<string, unknown> {
    const id = `/subscriptions/${this.subscriptionId}/resourceGroups/${this.resourceGroupOf(name)}/providers/Microsoft.Storage/storageAccounts/${name}`;
    return {
      id,
      name,
      type: 'Microsoft.Storage/storageAccounts',
      location: 'eastus',
      kind: 'StorageV2',
      sku: { name: 'Standard_LRS', tier: 'Standard' },
      properties: {
        provisioningState: 'Succeeded',
        primaryEndpoints: { blob: `https://${name}.blob.core.windows.net/` },
        allowSharedKeyAccess: true,
      },
    };
  }

  private keysResult(account: string): Record<string, unknown> {
    const keys = this.storage.keysOf(account);
    const times = this.storage.keyCreationTimes(account);
    const slots: AzureKeySlot[] = ['key1', 'key2'];
    return {
      keys: slots.map((slot) => ({
        keyName: slot,
        value: keys?.[slot] ?? '',
        permissions: 'FULL',
        ...(times ? { creationTime: times[slot].toISOString() } : {}),
      })),
    };
  }

  private arm(req: IncomingMessage, res: ServerResponse, url: URL, body: string): void {
    const bearer = /^Bearer\s+(\S+)$/i.exec(String(req.headers.authorization ?? ''))?.[1];
    const issued = bearer ? this.tokens.get(bearer) : undefined;
    if (!issued || issued.expiresAt <= Date.now())
      return this.armError(
        res,
        401,
        bearer ? 'InvalidAuthenticationToken' : 'AuthenticationFailed',
        bearer ? 'The access token is invalid.' : "Authentication failed. The 'Authorization' header is missing.",
      );
    const principal = issued.principal;
    const path = url.pathname;
    const m =
      /^\/subscriptions\/([^/]+)(?:\/resourceGroups\/([^/]+))?\/providers\/Microsoft\.Storage\/storageAccounts(?:\/([^/]+)(?:\/(listKeys|regenerateKey))?)?$/i.exec(
        path,
      );
    if (!m) return this.armError(res, 404, 'InvalidResourceType', `The resource type could not be found for ${path}.`);
    const [, subscription, resourceGroup, account, verb] = m;
    if (subscription !== this.subscriptionId)
      return this.armError(
        res,
        404,
        'SubscriptionNotFound',
        `The subscription '${subscription ?? ''}' could not be found.`,
      );
    const scope = path.replace(/\/(listKeys|regenerateKey)$/i, '');
    const action =
      verb === undefined
        ? ARM_ACTIONS.read
        : verb.toLowerCase() === 'listkeys'
          ? ARM_ACTIONS.listKeys
          : ARM_ACTIONS.regenerateKey;
    if (this.isDenied(action, principal.clientId))
      return this.armError(
        res,
        403,
        'AuthorizationFailed',
        `The client '${principal.clientId}' with object id '${principal.objectId}' does not have authorization to perform action '${action}' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
      );
    if (account === undefined) {
      const names = this.storage
        .accountNames()
        .filter((name) => resourceGroup === undefined || this.resourceGroupOf(name) === resourceGroup);
      return sendJson(res, 200, { value: names.map((name) => this.accountResource(name)) });
    }
    if (
      !this.storage.keysOf(account) ||
      (resourceGroup !== undefined && this.resourceGroupOf(account) !== resourceGroup)
    )
      return this.armError(
        res,
        404,
        'ResourceNotFound',
        `The Resource 'Microsoft.Storage/storageAccounts/${account}' under resource group '${resourceGroup ?? ''}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
      );
    if (verb === undefined && req.method === 'GET') return sendJson(res, 200, this.accountResource(account));
    if (req.method !== 'POST') return this.armError(res, 405, 'MethodNotAllowed', `${req.method ?? ''} is not allowed`);
    if (verb?.toLowerCase() === 'listkeys') return sendJson(res, 200, this.keysResult(account));
    let keyName: unknown;
    try {
      keyName = (JSON.parse(body || '{}') as { keyName?: unknown }).keyName;
    } catch {
      keyName = undefined;
    }
    if (keyName !== 'key1' && keyName !== 'key2')
      return this.armError(
        res,
        400,
        'InvalidValuesForRequestParameters',
        `Values for request parameters are invalid: keyName. For more information, see - https://aka.ms/storageaccountregeneratekey`,
      );
    this.storage.regenerateKey(account, keyName);
    sendJson(res, 200, this.keysResult(account));
  }
}
