/**
 * cloud-sim's AWS through the official SDK v3: S3 (s3rver, SigV4 checked) and Athena (AWS JSON
 * 1.1, SigV4 checked with the official signer), with keys allowed and revoked by the test.
 */
import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCloudSim, type CloudSim } from '../../src/sim/cloud/index.js';
import { awsAccessKey } from '../../src/sim/kubecost/credentials.js';

let sim: CloudSim;

beforeAll(async () => {
  sim = await startCloudSim();
  await sim.aws.ensureBucket('acme-kubecost-federated');
  await sim.aws.ensureBucket('aws-athena-query-results-123456789012-us-east-1');
});

afterAll(async () => {
  await sim.stop();
});

const s3 = (accessKeyId: string, secretAccessKey: string) =>
  new S3Client({
    region: 'us-east-1',
    endpoint: sim.endpoints.s3,
    forcePathStyle: true,
    credentials: { accessKeyId, secretAccessKey },
    maxAttempts: 1,
  });
const athena = (accessKeyId: string, secretAccessKey: string) =>
  new AthenaClient({
    region: 'us-east-1',
    endpoint: sim.endpoints.athena,
    credentials: { accessKeyId, secretAccessKey },
    maxAttempts: 1,
  });

const put = (client: S3Client, key: string) =>
  client.send(new PutObjectCommand({ Bucket: 'acme-kubecost-federated', Key: key, Body: `body of ${key}` }));
const get = async (client: S3Client, key: string) =>
  (await client.send(new GetObjectCommand({ Bucket: 'acme-kubecost-federated', Key: key }))).Body?.transformToString();
const startSelect1 = (client: AthenaClient, outputLocation = 's3://aws-athena-query-results-123456789012-us-east-1/') =>
  client.send(
    new StartQueryExecutionCommand({
      QueryString: 'SELECT 1',
      WorkGroup: 'primary',
      QueryExecutionContext: { Database: 'athenacurcfn_kubecost_cur' },
      ResultConfiguration: { OutputLocation: outputLocation },
    }),
  );

const S3_WRONG_SECRET = { name: 'SignatureDoesNotMatch', $metadata: { httpStatusCode: 403 } };
const S3_UNKNOWN_KEY = {
  name: 'InvalidAccessKeyId',
  message: 'The AWS Access Key Id you provided does not exist in our records.',
  $metadata: { httpStatusCode: 403 },
};
const ATHENA_UNKNOWN_KEY = {
  name: 'UnrecognizedClientException',
  message: 'The security token included in the request is invalid.',
  $metadata: { httpStatusCode: 400 },
};
const ATHENA_WRONG_SECRET = {
  name: 'InvalidSignatureException',
  message: expect.stringMatching(
    /^The request signature we calculated does not match the signature you provided\. Check your AWS Secret Access Key and signing method\. /,
  ) as unknown,
  $metadata: { httpStatusCode: 400 },
};

describe('S3', () => {
  it('writes, reads and deletes objects with an allowed key', async () => {
    const key = awsAccessKey('kubecost-federated');
    sim.aws.allowKey(key.accessKeyId, key.secretAccessKey, key.user);
    const client = s3(key.accessKeyId, key.secretAccessKey);
    await put(client, 'federated/cluster-1/etl.json');
    expect(await get(client, 'federated/cluster-1/etl.json')).toBe('body of federated/cluster-1/etl.json');
    await client.send(
      new DeleteObjectCommand({ Bucket: 'acme-kubecost-federated', Key: 'federated/cluster-1/etl.json' }),
    );
    await expect(get(client, 'federated/cluster-1/etl.json')).rejects.toMatchObject({ name: 'NoSuchKey' });
    expect(sim.aws.listKeys('kubecost-federated')).toEqual([
      expect.objectContaining({ accessKeyId: key.accessKeyId, lastUsedService: 's3' }),
    ]);
  });

  it('refuses the right key id with a wrong secret as SignatureDoesNotMatch', async () => {
    const key = awsAccessKey('kubecost-federated');
    sim.aws.allowKey(key.accessKeyId, key.secretAccessKey);
    await expect(
      put(
        s3(key.accessKeyId, `${key.secretAccessKey.slice(0, -1)}${key.secretAccessKey.endsWith('x') ? 'y' : 'x'}`),
        'nope',
      ),
    ).rejects.toMatchObject(S3_WRONG_SECRET);
  });

  it('refuses an unknown key id as InvalidAccessKeyId', async () => {
    const key = awsAccessKey('nobody');
    await expect(put(s3(key.accessKeyId, key.secretAccessKey), 'nope')).rejects.toMatchObject(S3_UNKNOWN_KEY);
  });

  it("refuses s3rver's built-in S3RVER key and unsigned requests, which real S3 would not accept", async () => {
    await expect(put(s3('S3RVER', 'S3RVER'), 'nope')).rejects.toMatchObject({ name: 'InvalidAccessKeyId' });
    const key = awsAccessKey('kubecost-federated');
    sim.aws.allowKey(key.accessKeyId, key.secretAccessKey);
    await put(s3(key.accessKeyId, key.secretAccessKey), 'private.txt');
    const anonymous = await fetch(`${sim.endpoints.s3}/acme-kubecost-federated/private.txt`);
    expect(anonymous.status).toBe(403);
    expect(await anonymous.text()).toContain('<Code>AccessDenied</Code>');
  });

  it('rotates: a new key works beside the old one, and after revocation only the new one does', async () => {
    const old = awsAccessKey('kubecost-federated');
    const next = awsAccessKey('kubecost-federated');
    sim.aws.allowKey(old.accessKeyId, old.secretAccessKey, old.user);
    await put(s3(old.accessKeyId, old.secretAccessKey), 'rotation/before');
    sim.aws.allowKey(next.accessKeyId, next.secretAccessKey, next.user);
    expect(await get(s3(old.accessKeyId, old.secretAccessKey), 'rotation/before')).toBe('body of rotation/before');
    expect(await get(s3(next.accessKeyId, next.secretAccessKey), 'rotation/before')).toBe('body of rotation/before');
    sim.aws.revokeKey(old.accessKeyId);
    await expect(get(s3(old.accessKeyId, old.secretAccessKey), 'rotation/before')).rejects.toMatchObject(
      S3_UNKNOWN_KEY,
    );
    expect(await get(s3(next.accessKeyId, next.secretAccessKey), 'rotation/before')).toBe('body of rotation/before');
    sim.aws.revokeKey(old.accessKeyId);
    expect(sim.aws.isAllowed(old.accessKeyId)).toBe(false);
  });
});

describe('Athena', () => {
  it('starts SELECT 1 with an allowed key, reports it SUCCEEDED and returns its one row', async () => {
    const key = awsAccessKey('kubecost-billing');
    sim.aws.allowKey(key.accessKeyId, key.secretAccessKey, key.user);
    const client = athena(key.accessKeyId, key.secretAccessKey);
    const { QueryExecutionId } = await startSelect1(client);
    expect(QueryExecutionId).toMatch(/^[0-9a-f-]{36}$/);
    const execution = await client.send(new GetQueryExecutionCommand({ QueryExecutionId }));
    expect(execution.QueryExecution).toMatchObject({
      Query: 'SELECT 1',
      WorkGroup: 'primary',
      Status: { State: 'SUCCEEDED' },
      QueryExecutionContext: { Database: 'athenacurcfn_kubecost_cur' },
    });
    expect(execution.QueryExecution?.Status?.SubmissionDateTime).toBeInstanceOf(Date);
    const results = await client.send(new GetQueryResultsCommand({ QueryExecutionId }));
    expect(results.ResultSet?.Rows?.map((r) => r.Data?.[0]?.VarCharValue)).toEqual(['_col0', '1']);
    expect(sim.aws.listKeys('kubecost-billing')[0]?.lastUsedService).toBe('athena');
  });

  it('refuses an unknown key id with UnrecognizedClientException, as for a deleted key', async () => {
    const key = awsAccessKey('nobody');
    await expect(startSelect1(athena(key.accessKeyId, key.secretAccessKey))).rejects.toMatchObject(ATHENA_UNKNOWN_KEY);
  });

  it('refuses the right key id with a wrong secret as InvalidSignatureException', async () => {
    const key = awsAccessKey('kubecost-billing');
    sim.aws.allowKey(key.accessKeyId, key.secretAccessKey);
    await expect(startSelect1(athena(key.accessKeyId, awsAccessKey('x').secretAccessKey))).rejects.toMatchObject(
      ATHENA_WRONG_SECRET,
    );
  });

  it('refuses a revoked key, and keeps the rotated-in key working', async () => {
    const old = awsAccessKey('kubecost-billing');
    const next = awsAccessKey('kubecost-billing');
    sim.aws.allowKey(old.accessKeyId, old.secretAccessKey);
    sim.aws.allowKey(next.accessKeyId, next.secretAccessKey);
    await startSelect1(athena(old.accessKeyId, old.secretAccessKey));
    sim.aws.revokeKey(old.accessKeyId);
    await expect(startSelect1(athena(old.accessKeyId, old.secretAccessKey))).rejects.toMatchObject(ATHENA_UNKNOWN_KEY);
    await expect(startSelect1(athena(next.accessKeyId, next.secretAccessKey))).resolves.toHaveProperty(
      'QueryExecutionId',
    );
  });

  it('fails the query, not the request, when the output bucket does not exist', async () => {
    const key = awsAccessKey('kubecost-billing');
    sim.aws.allowKey(key.accessKeyId, key.secretAccessKey);
    const client = athena(key.accessKeyId, key.secretAccessKey);
    const { QueryExecutionId } = await startSelect1(client, 's3://no-such-results-bucket/');
    const execution = await client.send(new GetQueryExecutionCommand({ QueryExecutionId }));
    expect(execution.QueryExecution?.Status).toMatchObject({
      State: 'FAILED',
      StateChangeReason: 'Unable to verify/create output bucket no-such-results-bucket',
    });
  });

  it('answers an unknown query execution id with InvalidRequestException', async () => {
    const key = awsAccessKey('kubecost-billing');
    sim.aws.allowKey(key.accessKeyId, key.secretAccessKey);
    await expect(
      athena(key.accessKeyId, key.secretAccessKey).send(
        new GetQueryExecutionCommand({ QueryExecutionId: '00000000-0000-0000-0000-000000000000' }),
      ),
    ).rejects.toMatchObject({
      name: 'InvalidRequestException',
      message: 'QueryExecution 00000000-0000-0000-0000-000000000000 was not found',
    });
  });

  it('refuses an unsigned request with MissingAuthenticationTokenException', async () => {
    const response = await fetch(sim.endpoints.athena, {
      method: 'POST',
      headers: { 'X-Amz-Target': 'AmazonAthena.StartQueryExecution', 'Content-Type': 'application/x-amz-json-1.1' },
      body: '{"QueryString":"SELECT 1"}',
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      __type: 'MissingAuthenticationTokenException',
      message: 'Missing Authentication Token',
    });
  });
});
