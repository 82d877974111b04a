/**
 * cloud-sim's control planes through the official SDKs, as a real account answers them: IAM's
 * two-key limit (an inactive key counts), NoSuchEntity, an inactive or deleted key refused by S3,
 * Athena and STS, new keys refused until they propagate, last use recorded by the data planes,
 * AccessDenied for a denied action; GCP IAM's ten-key limit and a disabled key refused at the
 * token endpoint (with its live tokens); ARM regenerateKey cutting the old key off in azurite at
 * once, and Entra ID refusing a wrong client secret.
 */
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { AthenaClient, StartQueryExecutionCommand } from '@aws-sdk/client-athena';
import {
  CreateAccessKeyCommand,
  DeleteAccessKeyCommand,
  GetAccessKeyLastUsedCommand,
  IAMClient,
  ListAccessKeysCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { ClientSecretCredential } from '@azure/identity';
import { StorageManagementClient } from '@azure/arm-storage';
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { iam } from '@googleapis/iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARM_ACTIONS, startCloudSim, trustCredential, type CloudSim } from '../../src/sim/cloud/index.js';
import { azureStorageKey, gcpServiceAccountKey } from '../../src/sim/kubecost/credentials.js';
import { exchange, googleClient, signJwt } from './support.js';

let sim: CloudSim;
let now = Date.now();
let admin: { accessKeyId: string; secretAccessKey: string };

beforeAll(async () => {
  sim = await startCloudSim({ awsConsistencyDelayMs: 4000, clock: () => now });
  admin = sim.aws.createAdmin();
  await sim.aws.ensureBucket('acme-kubecost');
});

afterAll(async () => {
  await sim.stop();
});

const iamAs = (key: { accessKeyId: string; secretAccessKey: string }) =>
  new IAMClient({ region: 'us-east-1', endpoint: sim.endpoints.iam, credentials: key, maxAttempts: 1 });
const stsAs = (key: { accessKeyId: string; secretAccessKey: string }) =>
  new STSClient({ region: 'us-east-1', endpoint: sim.endpoints.sts, credentials: key, maxAttempts: 1 });
const s3As = (key: { accessKeyId: string; secretAccessKey: string }) =>
  new S3Client({
    region: 'us-east-1',
    endpoint: sim.endpoints.s3,
    forcePathStyle: true,
    credentials: key,
    maxAttempts: 1,
  });
const athenaAs = (key: { accessKeyId: string; secretAccessKey: string }) =>
  new AthenaClient({ region: 'us-east-1', endpoint: sim.endpoints.athena, credentials: key, maxAttempts: 1 });

async function newKey(user: string): Promise<{ accessKeyId: string; secretAccessKey: string }> {
  const key = (await iamAs(admin).send(new CreateAccessKeyCommand({ UserName: user }))).AccessKey;
  return { accessKeyId: key?.AccessKeyId ?? '', secretAccessKey: key?.SecretAccessKey ?? '' };
}

describe('cloud-sim AWS IAM and STS', () => {
  it('refuses a third key with LimitExceeded, an inactive key counting, and an unknown user with NoSuchEntity', async () => {
    sim.aws.iam.ensureUser('limits');
    const first = await newKey('limits');
    await newKey('limits');
    await iamAs(admin).send(
      new UpdateAccessKeyCommand({ UserName: 'limits', AccessKeyId: first.accessKeyId, Status: 'Inactive' }),
    );
    await expect(iamAs(admin).send(new CreateAccessKeyCommand({ UserName: 'limits' }))).rejects.toMatchObject({
      name: 'LimitExceededException', // the SDK's modeled class for the LimitExceeded code
      message: 'Cannot exceed quota for AccessKeysPerUser: 2',
      $metadata: { httpStatusCode: 409 },
    });
    await expect(iamAs(admin).send(new ListAccessKeysCommand({ UserName: 'nobody' }))).rejects.toMatchObject({
      name: 'NoSuchEntityException',
      message: 'The user with name nobody cannot be found.',
    });
    await expect(
      iamAs(admin).send(new DeleteAccessKeyCommand({ UserName: 'limits', AccessKeyId: 'AKIANOSUCHKEYNOSUCH1' })),
    ).rejects.toMatchObject({ name: 'NoSuchEntityException', $metadata: { httpStatusCode: 404 } });
  });

  it('refuses a new key everywhere until it propagates, then accepts it as its user', async () => {
    sim.aws.iam.ensureUser('fresh');
    const key = await newKey('fresh');
    await expect(stsAs(key).send(new GetCallerIdentityCommand({}))).rejects.toMatchObject({
      name: 'InvalidClientTokenId',
    });
    await expect(
      s3As(key).send(new PutObjectCommand({ Bucket: 'acme-kubecost', Key: 'x', Body: 'x' })),
    ).rejects.toMatchObject({ name: 'InvalidAccessKeyId' });
    now += 4000;
    expect(await stsAs(key).send(new GetCallerIdentityCommand({}))).toMatchObject({
      Arn: 'arn:aws:iam::123456789012:user/fresh',
      Account: '123456789012',
    });
  });

  it('refuses an inactive key on S3, Athena and STS, and accepts it again once active', async () => {
    sim.aws.iam.ensureUser('inactive');
    const key = await newKey('inactive');
    now += 4000;
    await s3As(key).send(new PutObjectCommand({ Bucket: 'acme-kubecost', Key: 'probe', Body: 'x' }));
    await iamAs(admin).send(
      new UpdateAccessKeyCommand({ UserName: 'inactive', AccessKeyId: key.accessKeyId, Status: 'Inactive' }),
    );
    await expect(s3As(key).send(new GetObjectCommand({ Bucket: 'acme-kubecost', Key: 'probe' }))).rejects.toMatchObject(
      {
        name: 'InvalidAccessKeyId',
      },
    );
    await expect(
      athenaAs(key).send(
        new StartQueryExecutionCommand({
          QueryString: 'SELECT 1',
          ResultConfiguration: { OutputLocation: 's3://acme-kubecost/q/' },
        }),
      ),
    ).rejects.toMatchObject({ name: 'UnrecognizedClientException' });
    await expect(stsAs(key).send(new GetCallerIdentityCommand({}))).rejects.toMatchObject({
      name: 'InvalidClientTokenId',
    });
    await iamAs(admin).send(
      new UpdateAccessKeyCommand({ UserName: 'inactive', AccessKeyId: key.accessKeyId, Status: 'Active' }),
    );
    const read = await s3As(key).send(new GetObjectCommand({ Bucket: 'acme-kubecost', Key: 'probe' }));
    expect(await read.Body?.transformToString()).toBe('x');
  });

  it('records the last use of a key by the data plane that authenticated it', async () => {
    sim.aws.iam.ensureUser('used');
    const key = await newKey('used');
    now += 4000;
    const never = await iamAs(admin).send(new GetAccessKeyLastUsedCommand({ AccessKeyId: key.accessKeyId }));
    expect(never).toMatchObject({ UserName: 'used', AccessKeyLastUsed: { ServiceName: 'N/A', Region: 'N/A' } });
    expect(never.AccessKeyLastUsed?.LastUsedDate).toBeUndefined();
    await athenaAs(key).send(
      new StartQueryExecutionCommand({
        QueryString: 'SELECT 1',
        ResultConfiguration: { OutputLocation: 's3://acme-kubecost/q/' },
      }),
    );
    const used = await iamAs(admin).send(new GetAccessKeyLastUsedCommand({ AccessKeyId: key.accessKeyId }));
    expect(used.AccessKeyLastUsed).toMatchObject({
      ServiceName: 'athena',
      Region: 'us-east-1',
      LastUsedDate: new Date(Math.floor(now / 1000) * 1000),
    });
  });

  it('mints keys for the sandbox without the API, with the same limit and propagation delay', async () => {
    const first = sim.aws.createAccessKey('sandbox-user');
    sim.aws.createAccessKey('sandbox-user');
    expect(() => sim.aws.createAccessKey('sandbox-user')).toThrow(
      /LimitExceeded: Cannot exceed quota for AccessKeysPerUser: 2/,
    );
    expect(sim.aws.isAllowed(first.accessKeyId)).toBe(false);
    now += 4000;
    expect(await stsAs(first).send(new GetCallerIdentityCommand({}))).toMatchObject({
      Arn: 'arn:aws:iam::123456789012:user/sandbox-user',
    });
  });

  it('answers a denied action with AccessDenied naming the action and the caller', async () => {
    sim.aws.iam.deny('iam:UpdateAccessKey');
    try {
      await expect(
        iamAs(admin).send(
          new UpdateAccessKeyCommand({ UserName: 'used', AccessKeyId: 'AKIAANYANYANYANYANY1', Status: 'Inactive' }),
        ),
      ).rejects.toMatchObject({
        name: 'AccessDenied',
        message: expect.stringMatching(
          /^User: arn:aws:iam::123456789012:user\/kubecost-rotate-admin is not authorized to perform: iam:UpdateAccessKey on resource: user used/,
        ),
        $metadata: { httpStatusCode: 403 },
      });
      // GetCallerIdentity needs no permission, as at AWS.
      sim.aws.iam.deny('iam:GetCallerIdentity');
      await expect(stsAs(admin).send(new GetCallerIdentityCommand({}))).resolves.toMatchObject({
        Account: '123456789012',
      });
    } finally {
      sim.aws.iam.allow();
    }
  });
});

describe('cloud-sim GCP IAM', () => {
  const project = 'acme';
  const email = `limits@${project}.iam.gserviceaccount.com`;
  const client = () => {
    const adminKey = sim.gcp.createAdmin(project, `admin-${Math.random().toString(36).slice(2, 8)}`);
    const parsed = JSON.parse(adminKey.keyJson) as {
      client_email: string;
      private_key: string;
      private_key_id: string;
    };
    const auth = googleClient(sim.endpoints.gcpToken, {
      clientEmail: parsed.client_email,
      privateKey: parsed.private_key,
      privateKeyId: parsed.private_key_id,
    });
    return iam({ version: 'v1', auth: auth as never, rootUrl: `${sim.endpoints.gcs}/`, retry: false });
  };

  it('mints a key file whose RSA key the token endpoint accepts, and refuses an eleventh key', async () => {
    const api = client();
    sim.gcp.serviceAccount(email);
    const created = await api.projects.serviceAccounts.keys.create({
      name: `projects/${project}/serviceAccounts/${email}`,
      requestBody: {},
    });
    const keyFile = JSON.parse(Buffer.from(created.data.privateKeyData ?? '', 'base64').toString('utf8')) as Record<
      string,
      string
    >;
    expect(keyFile).toMatchObject({
      type: 'service_account',
      client_email: email,
      private_key_id: created.data.name?.split('/').pop(),
    });
    await googleClient(sim.endpoints.gcpToken, {
      clientEmail: email,
      privateKey: keyFile.private_key ?? '',
      privateKeyId: keyFile.private_key_id ?? '',
    }).authorize();
    for (let i = 1; i < 10; i++)
      await api.projects.serviceAccounts.keys.create({
        name: `projects/${project}/serviceAccounts/${email}`,
        requestBody: {},
      });
    await expect(
      api.projects.serviceAccounts.keys.create({
        name: `projects/${project}/serviceAccounts/${email}`,
        requestBody: {},
      }),
    ).rejects.toMatchObject({ status: 400, message: 'Precondition check failed.' });
  });

  it('mints a key file for the sandbox without the API, accepted at the token endpoint', async () => {
    const made = sim.gcp.createServiceAccountKey(`sandbox@${project}.iam.gserviceaccount.com`, project);
    const parsed = JSON.parse(made.keyJson) as { client_email: string; private_key: string; private_key_id: string };
    expect(parsed.private_key_id).toBe(made.privateKeyId);
    const token = await googleClient(sim.endpoints.gcpToken, {
      clientEmail: parsed.client_email,
      privateKey: parsed.private_key,
      privateKeyId: parsed.private_key_id,
    }).getAccessToken();
    expect(token.token).toMatch(/^ya29\./);
  });

  it('refuses a disabled key at the token endpoint and ends the tokens it already had', async () => {
    const key = gcpServiceAccountKey('disabled', project);
    trustCredential(sim, key);
    const jwt = googleClient(sim.endpoints.gcpToken, key);
    const token = (await jwt.getAccessToken()).token ?? '';
    const bucket = async () =>
      (
        await fetch(`${sim.endpoints.gcs}/storage/v1/b/acme-bucket-x/o`, {
          headers: { Authorization: `Bearer ${token}` },
        })
      ).status;
    sim.gcp.ensureBucket('acme-bucket-x');
    expect(await bucket()).toBe(200);
    await client().projects.serviceAccounts.keys.disable({
      name: `projects/${project}/serviceAccounts/${key.clientEmail}/keys/${key.privateKeyId}`,
      requestBody: {},
    });
    expect(await bucket()).toBe(401);
    const now = Math.floor(Date.now() / 1000);
    const assertion = signJwt(
      key.privateKey,
      {
        iss: key.clientEmail,
        scope: 'https://www.googleapis.com/auth/cloud-platform',
        aud: 'https://oauth2.googleapis.com/token',
        iat: now,
        exp: now + 600,
      },
      { kid: key.privateKeyId },
    );
    expect(await exchange(sim.endpoints.gcpToken, assertion)).toEqual({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' },
    });
  });

  it('answers a denied permission with PERMISSION_DENIED naming it, and leaves it out of testIamPermissions', async () => {
    const api = client();
    sim.gcp.deny('iam.serviceAccountKeys.delete');
    try {
      const name = `projects/${project}/serviceAccounts/${email}`;
      const tested = await api.projects.serviceAccounts.testIamPermissions({
        resource: name,
        requestBody: { permissions: ['iam.serviceAccountKeys.list', 'iam.serviceAccountKeys.delete'] },
      });
      expect(tested.data.permissions).toEqual(['iam.serviceAccountKeys.list']);
      await expect(api.projects.serviceAccounts.keys.delete({ name: `${name}/keys/0123` })).rejects.toMatchObject({
        status: 403,
        message: "Permission 'iam.serviceAccountKeys.delete' denied on resource (or it may not exist).",
      });
    } finally {
      sim.gcp.allow();
    }
  });
});

describe('cloud-sim Azure ARM and Entra ID', () => {
  const tls = () => ({ tlsOptions: { ca: sim.azureControl.caPem } });
  const arm = (secret?: string) => {
    const principal = sim.azureControl.createServicePrincipal();
    const credential = new ClientSecretCredential(
      principal.tenantId,
      principal.clientId,
      secret ?? principal.clientSecret,
      {
        authorityHost: sim.endpoints.azureAuthority,
        disableInstanceDiscovery: true,
        ...tls(),
      },
    );
    return new StorageManagementClient(credential, sim.azureControl.subscriptionId, {
      endpoint: sim.endpoints.azureArm,
      ...tls(),
    });
  };

  it('lists the keys azurite holds, and regenerateKey cuts the old key off at once', async () => {
    const key = azureStorageKey('acmearm', 'key1');
    trustCredential(sim, key);
    await sim.azure.ensureContainer('acmearm', 'exports');
    const client = arm();
    const listed = await client.storageAccounts.listKeys('kubecost', 'acmearm');
    expect(listed.keys?.map((k) => [k.keyName, k.value === key.accountKey])).toEqual([
      ['key1', true],
      ['key2', false],
    ]);
    const blob = (value: string) =>
      new BlobServiceClient(sim.azure.blobUrl('acmearm'), new StorageSharedKeyCredential('acmearm', value), {
        retryOptions: { maxTries: 1 },
      });
    await blob(key.accountKey).getProperties();
    const regenerated = await client.storageAccounts.regenerateKey('kubecost', 'acmearm', { keyName: 'key1' });
    const fresh = regenerated.keys?.find((k) => k.keyName === 'key1')?.value ?? '';
    expect(fresh).not.toBe(key.accountKey);
    await expect(blob(key.accountKey).getProperties()).rejects.toMatchObject({ statusCode: 403 });
    await blob(fresh).getProperties();
  });

  it('answers a denied action with AuthorizationFailed naming it, and a wrong client secret with AADSTS7000215', async () => {
    sim.azureControl.deny(ARM_ACTIONS.listKeys);
    try {
      await expect(arm().storageAccounts.listKeys('kubecost', 'acmearm')).rejects.toMatchObject({
        statusCode: 403,
        code: 'AuthorizationFailed',
        message: expect.stringContaining(`perform action '${ARM_ACTIONS.listKeys}'`),
      });
    } finally {
      sim.azureControl.allow();
    }
    await expect(arm('not-the-secret').storageAccounts.listKeys('kubecost', 'acmearm')).rejects.toThrow(
      /AADSTS7000215/,
    );
  });
});
