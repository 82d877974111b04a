/**
 * cloud-sim's Google Cloud through google-auth-library: the JWT-bearer token exchange with
 * signatures checked against the allowed service-account keys, and Cloud Storage and BigQuery
 * behind bearer tokens.
 */
import { JWTAccess } from 'google-auth-library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GOOGLE_TOKEN_URL, startCloudSim, type CloudSim } from '../../src/sim/cloud/index.js';
import { gcpServiceAccountKey, type GcpServiceAccountKey } from '../../src/sim/kubecost/credentials.js';
import { CLOUD_PLATFORM, exchange, googleClient, signJwt } from './support.js';

let sim: CloudSim;
/** Keys are slow to make (RSA 2048): a few, made once. */
let billing: GcpServiceAccountKey;
let billingNext: GcpServiceAccountKey;
let stranger: GcpServiceAccountKey;

beforeAll(async () => {
  sim = await startCloudSim();
  billing = gcpServiceAccountKey('kubecost-billing', 'acme-billing');
  billingNext = gcpServiceAccountKey('kubecost-billing', 'acme-billing');
  stranger = gcpServiceAccountKey('kubecost-stranger', 'acme-billing');
  sim.gcp.ensureBucket('acme-kubecost-federated');
  sim.gcp.ensureTable('acme-billing', 'billing_export', 'gcp_billing_export_v1');
});

afterAll(async () => {
  await sim.stop();
});

const allow = (key: GcpServiceAccountKey) => sim.gcp.allowKey(key.clientEmail, key.privateKeyId, key.privateKey);
const gcsObject = (name: string) =>
  `${sim.endpoints.gcs}/storage/v1/b/acme-kubecost-federated/o/${encodeURIComponent(name)}`;
const upload = (name: string) =>
  `${sim.endpoints.gcs}/upload/storage/v1/b/acme-kubecost-federated/o?uploadType=media&name=${encodeURIComponent(name)}`;
const queries = '/bigquery/v2/projects/acme-billing/queries';

/** What a gaxios error (from google-auth-library) carries. */
interface HttpError {
  readonly message: string;
  readonly response?: { readonly status: number; readonly data: unknown };
}

/** The error a request rejects with (fails the test if it resolves or fails without a response). */
async function rejection(promise: Promise<unknown>): Promise<HttpError> {
  try {
    await promise;
  } catch (error: unknown) {
    if (error instanceof Error && 'response' in error) return error as HttpError;
    throw error;
  }
  throw new Error('expected a rejection');
}

const INVALID_SIGNATURE = { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' };

describe('token endpoint', () => {
  it('exchanges an allowed key for an access token that Cloud Storage and BigQuery accept', async () => {
    allow(billing);
    const client = googleClient(sim.endpoints.gcpToken, billing);
    const tokens = await client.authorize();
    expect(tokens).toMatchObject({ access_token: expect.stringMatching(/^ya29\./) as unknown, token_type: 'Bearer' });

    await client.request({
      url: upload('federated/cluster-1/etl.json'),
      method: 'POST',
      data: '{"a":1}',
      headers: { 'Content-Type': 'application/json' },
    });
    const read = await client.request<string>({
      url: `${gcsObject('federated/cluster-1/etl.json')}?alt=media`,
      responseType: 'text',
    });
    expect(read.data).toBe('{"a":1}');
    const listed = await client.request<{ items: { name: string; size: string }[] }>({
      url: `${sim.endpoints.gcs}/storage/v1/b/acme-kubecost-federated/o?prefix=federated/`,
    });
    expect(listed.data.items.map((o) => [o.name, o.size])).toEqual([['federated/cluster-1/etl.json', '7']]);
    await client.request({ url: gcsObject('federated/cluster-1/etl.json'), method: 'DELETE' });
    expect(sim.gcp.objectNames('acme-kubecost-federated')).toEqual([]);

    const result = await client.request<{ rows: { f: { v: string }[] }[] }>({
      url: `${sim.endpoints.bigquery}${queries}`,
      method: 'POST',
      data: { query: 'SELECT 1', useLegacySql: false },
    });
    expect(result.data.rows).toEqual([{ f: [{ v: '1' }] }]);
    expect(sim.gcp.listKeys(billing.clientEmail)).toEqual([
      expect.objectContaining({ privateKeyId: billing.privateKeyId, lastUsed: expect.any(Date) as unknown }),
    ]);
  });

  it('refuses a JWT signed by a key the account does not have with invalid_grant "Invalid JWT Signature."', async () => {
    allow(billing);
    const forged = { ...gcpServiceAccountKey('unused', 'acme-billing'), clientEmail: billing.clientEmail };
    const error = await rejection(googleClient(sim.endpoints.gcpToken, forged).authorize());
    expect(error.response?.status).toBe(400);
    expect(error.response?.data).toEqual(INVALID_SIGNATURE);
    expect(error.message).toBe('invalid_grant: Invalid JWT Signature.');
  });

  it('refuses a revoked key with invalid_grant, and the access tokens it got stop working', async () => {
    const key = gcpServiceAccountKey('kubecost-federated', 'acme-platform');
    allow(key);
    const client = googleClient(sim.endpoints.gcpToken, key);
    await client.request({ url: `${sim.endpoints.gcs}/storage/v1/b/acme-kubecost-federated` });
    sim.gcp.revokeKey(key.clientEmail, key.privateKeyId);
    expect((await rejection(googleClient(sim.endpoints.gcpToken, key).authorize())).response?.data).toEqual(
      INVALID_SIGNATURE,
    );
    const cached = await rejection(
      client.request({ url: `${sim.endpoints.gcs}/storage/v1/b/acme-kubecost-federated` }),
    );
    expect(cached.response?.status).toBe(401);
    expect(cached.message).toBe('Invalid Credentials');
  });

  it('rotates: both keys of the account work while both are allowed, then only the new one', async () => {
    allow(billing);
    allow(billingNext);
    await expect(googleClient(sim.endpoints.gcpToken, billing).authorize()).resolves.toHaveProperty('access_token');
    await expect(googleClient(sim.endpoints.gcpToken, billingNext).authorize()).resolves.toHaveProperty('access_token');
    sim.gcp.revokeKey(billing.clientEmail, billing.privateKeyId);
    expect((await rejection(googleClient(sim.endpoints.gcpToken, billing).authorize())).response?.data).toEqual(
      INVALID_SIGNATURE,
    );
    await expect(googleClient(sim.endpoints.gcpToken, billingNext).authorize()).resolves.toHaveProperty('access_token');
    expect(sim.gcp.listKeys(billing.clientEmail).map((k) => k.privateKeyId)).toEqual([billingNext.privateKeyId]);
  });

  it('refuses an account it does not know with invalid_grant', async () => {
    const error = await rejection(googleClient(sim.endpoints.gcpToken, stranger).authorize());
    expect(error.response?.data).toEqual({
      error: 'invalid_grant',
      error_description: 'Invalid grant: account not found',
    });
  });

  it('checks the signature against the key named by kid when the JWT has one', async () => {
    allow(billing);
    allow(billingNext);
    const now = Math.floor(Date.now() / 1000);
    const claims = { iss: billing.clientEmail, aud: GOOGLE_TOKEN_URL, scope: CLOUD_PLATFORM, iat: now, exp: now + 600 };
    expect(
      (await exchange(sim.endpoints.gcpToken, signJwt(billing.privateKey, claims, { kid: billing.privateKeyId })))
        .status,
    ).toBe(200);
    expect(
      await exchange(sim.endpoints.gcpToken, signJwt(billing.privateKey, claims, { kid: billingNext.privateKeyId })),
    ).toEqual({ status: 400, body: INVALID_SIGNATURE });
  });

  it("checks the assertion's audience, lifetime and scope, and the grant type", async () => {
    allow(billing);
    const now = Math.floor(Date.now() / 1000);
    const valid = { iss: billing.clientEmail, aud: GOOGLE_TOKEN_URL, scope: CLOUD_PLATFORM, iat: now, exp: now + 3600 };
    const jwt = (changes: Record<string, unknown>) =>
      signJwt(
        billing.privateKey,
        Object.fromEntries(Object.entries({ ...valid, ...changes }).filter(([, v]) => v !== undefined)),
      );
    expect((await exchange(sim.endpoints.gcpToken, jwt({ aud: sim.endpoints.gcpToken }))).status).toBe(200);
    expect((await exchange(sim.endpoints.gcpToken, jwt({ aud: 'https://example.com/token' }))).body).toEqual({
      error: 'invalid_grant',
      error_description: `Invalid JWT: Failed audience check. The right audience is ${GOOGLE_TOKEN_URL}`,
    });
    const shortLived = {
      error: 'invalid_grant',
      error_description:
        'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.',
    };
    expect((await exchange(sim.endpoints.gcpToken, jwt({ iat: now - 7200, exp: now - 3600 }))).body).toEqual(
      shortLived,
    );
    expect((await exchange(sim.endpoints.gcpToken, jwt({ exp: now + 7200 }))).body).toEqual(shortLived);
    expect((await exchange(sim.endpoints.gcpToken, jwt({ scope: undefined }))).body).toEqual({
      error: 'invalid_scope',
      error_description: 'Invalid OAuth scope or ID token audience provided.',
    });
    expect((await exchange(sim.endpoints.gcpToken, jwt({}), 'client_credentials')).body).toEqual({
      error: 'unsupported_grant_type',
      error_description: 'Invalid grant_type: client_credentials',
    });
  });
});

describe('Cloud Storage and BigQuery', () => {
  it('answer 401 to a request with no token or a token they did not issue', async () => {
    const anonymous = await fetch(`${sim.endpoints.gcs}/storage/v1/b/acme-kubecost-federated`);
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { error: { errors: { reason: string }[] } }).error.errors[0]?.reason).toBe(
      'required',
    );
    const bogus = await fetch(`${sim.endpoints.bigquery}${queries}`, {
      method: 'POST',
      headers: { Authorization: 'Bearer ya29.made-up', 'Content-Type': 'application/json' },
      body: '{"query":"SELECT 1"}',
    });
    expect(bogus.status).toBe(401);
    expect(bogus.headers.get('www-authenticate')).toContain('Bearer');
  });

  it('answer 403 to a token whose scopes do not cover the API', async () => {
    allow(billing);
    const storageOnly = googleClient(sim.endpoints.gcpToken, billing, [
      'https://www.googleapis.com/auth/devstorage.read_only',
    ]);
    await expect(
      storageOnly.request({ url: `${sim.endpoints.gcs}/storage/v1/b/acme-kubecost-federated` }),
    ).resolves.toHaveProperty('status', 200);
    const error = await rejection(
      storageOnly.request({ url: `${sim.endpoints.bigquery}${queries}`, method: 'POST', data: { query: 'SELECT 1' } }),
    );
    expect(error.response?.status).toBe(403);
    expect(error.message).toBe('Request had insufficient authentication scopes.');
  });

  it('accept a self-signed JWT of an allowed key as the bearer token, as Google does', async () => {
    allow(billing);
    const headers = await new JWTAccess(
      billing.clientEmail,
      billing.privateKey,
      billing.privateKeyId,
    ).getRequestHeaders('https://storage.googleapis.com/');
    expect((await fetch(`${sim.endpoints.gcs}/storage/v1/b/acme-kubecost-federated`, { headers })).status).toBe(200);
    const strangers = await new JWTAccess(
      stranger.clientEmail,
      stranger.privateKey,
      stranger.privateKeyId,
    ).getRequestHeaders('https://storage.googleapis.com/');
    expect(
      (await fetch(`${sim.endpoints.gcs}/storage/v1/b/acme-kubecost-federated`, { headers: strangers })).status,
    ).toBe(401);
  });

  it('store multipart uploads, and answer 404 for a missing bucket or object', async () => {
    allow(billing);
    const client = googleClient(sim.endpoints.gcpToken, billing);
    const boundary = 'probe-boundary';
    const body = `--${boundary}\r\nContent-Type: application/json\r\n\r\n{"name":"thanos/meta.json","contentType":"application/json"}\r\n--${boundary}\r\nContent-Type: application/json\r\n\r\n{"ulid":"01"}\r\n--${boundary}--\r\n`;
    const inserted = await client.request<{ name: string; contentType: string }>({
      url: `${sim.endpoints.gcs}/upload/storage/v1/b/acme-kubecost-federated/o?uploadType=multipart`,
      method: 'POST',
      headers: { 'Content-Type': `multipart/related; boundary=${boundary}` },
      data: body,
    });
    expect(inserted.data).toMatchObject({ name: 'thanos/meta.json', contentType: 'application/json' });
    expect(
      (await client.request<string>({ url: `${gcsObject('thanos/meta.json')}?alt=media`, responseType: 'text' })).data,
    ).toBe('{"ulid":"01"}');
    const noBucket = await rejection(client.request({ url: `${sim.endpoints.gcs}/storage/v1/b/no-such-bucket/o/x` }));
    expect([noBucket.response?.status, noBucket.message]).toEqual([404, 'The specified bucket does not exist.']);
    const noObject = await rejection(client.request({ url: gcsObject('missing.json') }));
    expect([noObject.response?.status, noObject.message]).toEqual([
      404,
      'No such object: acme-kubecost-federated/missing.json',
    ]);
  });

  it('BigQuery finds existing tables, refuses unknown ones and legacy SQL with backticks, and dry-runs', async () => {
    allow(billing);
    const client = googleClient(sim.endpoints.gcpToken, billing);
    const table = await client.request<{ id: string }>({
      url: `${sim.endpoints.bigquery}/bigquery/v2/projects/acme-billing/datasets/billing_export/tables/gcp_billing_export_v1`,
    });
    expect(table.data.id).toBe('acme-billing:billing_export.gcp_billing_export_v1');
    const missing = await rejection(
      client.request({
        url: `${sim.endpoints.bigquery}/bigquery/v2/projects/acme-billing/datasets/billing_export/tables/nope`,
      }),
    );
    expect([missing.response?.status, missing.message]).toEqual([
      404,
      'Not found: Table acme-billing:billing_export.nope',
    ]);

    const query = (q: string, extra: object = {}) =>
      client.request<Record<string, unknown>>({
        url: `${sim.endpoints.bigquery}${queries}`,
        method: 'POST',
        data: { query: q, useLegacySql: false, ...extra },
      });
    const fromTable = await query('SELECT 1 FROM `acme-billing.billing_export.gcp_billing_export_v1` LIMIT 1');
    expect(fromTable.data).toMatchObject({ jobComplete: true, totalRows: '0' });
    const dryRun = await query('SELECT 1 FROM `billing_export.gcp_billing_export_v1`', { dryRun: true });
    expect(dryRun.data).toMatchObject({ jobComplete: true, totalBytesProcessed: '0' });
    expect(dryRun.data.jobReference).not.toHaveProperty('jobId');
    const unknown = await rejection(query('SELECT cost FROM `acme-billing.billing_export.other`'));
    expect(unknown.message).toBe('Not found: Table acme-billing:billing_export.other was not found in location US');
    const legacy = await rejection(
      query('SELECT 1 FROM `acme-billing.billing_export.gcp_billing_export_v1`', { useLegacySql: true }),
    );
    expect(legacy.response?.status).toBe(400);
  });
});
