/**
 * The AWS provider's conformance cases against moto 5.2.5 (IAM, STS and S3 with moto's own
 * authentication and policy checks turned on), an emulator nobody here wrote. The one known
 * difference from AWS is declared as a deviation, and the case asserts it, so it is noticed when
 * moto changes.
 */
import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  DeleteUserPolicyCommand,
  IAMClient,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { existsSync } from 'node:fs';
import { afterAll, expect, it } from 'vitest';
import {
  awsCapabilities,
  createAwsProvider,
  type AwsCredential,
  type ConformanceWorld,
  type ProviderClock,
} from '../../src/providers/index.js';
import { SecretValue } from '../../src/shared/secret-value.js';
import { describeConformance } from './conformance-cases.js';
import { motoServerPath, startMoto, type Moto } from './moto.js';

let moto: Moto | undefined;

afterAll(async () => {
  await moto?.stop();
});

/** Real time, moved on by sleeps: the evidence window moves without waiting. */
function offsetClock(): ProviderClock {
  let offset = 0;
  return {
    now: () => new Date(Date.now() + offset),
    sleep: (ms) => {
      offset += ms;
      return Promise.resolve();
    },
  };
}

const policy = (effect: 'Allow' | 'Deny', actions: string[]) =>
  JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: effect, Action: actions, Resource: '*' }] });

async function motoWorld(): Promise<ConformanceWorld> {
  moto = await startMoto();
  const endpoint = moto.endpoint;
  // Before auth is on, any key may set the account up.
  const setup = new IAMClient({
    region: 'us-east-1',
    endpoint,
    credentials: { accessKeyId: 'AKIASETUPSETUPSETUP1', secretAccessKey: 'setup' },
  });
  const user = async (name: string, actions: string[]) => {
    await setup.send(new CreateUserCommand({ UserName: name }));
    await setup.send(
      new PutUserPolicyCommand({ UserName: name, PolicyName: 'access', PolicyDocument: policy('Allow', actions) }),
    );
    const key = (await setup.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey;
    if (!key?.AccessKeyId || !key.SecretAccessKey) throw new Error('moto made no key');
    return { accessKeyId: key.AccessKeyId, secretAccessKey: key.SecretAccessKey };
  };
  const admin = await user('kubecost-rotate-admin', ['*']);
  const old = await user('kubecost', ['sts:GetCallerIdentity', 's3:*']);
  const other = await user('someone-else', ['sts:GetCallerIdentity']);
  const s3 = new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true, credentials: admin });
  await s3.send(new CreateBucketCommand({ Bucket: 'acme-kubecost-federated' }));
  s3.destroy();
  await moto.enableAuth();
  setup.destroy();

  const credential = (key: { accessKeyId: string; secretAccessKey: string }): AwsCredential => ({
    provider: 'aws',
    accessKeyId: key.accessKeyId,
    secretAccessKey: new SecretValue(key.secretAccessKey),
  });
  const adminIam = new IAMClient({ region: 'us-east-1', endpoint, credentials: admin });
  const clock = offsetClock();
  return {
    label: 'aws on moto',
    provider: createAwsProvider({
      iamEndpoint: endpoint,
      stsEndpoint: endpoint,
      credentials: credential(admin),
      reportingDelayMs: 0,
      clock,
    }),
    clock,
    oldKey: credential(old),
    otherPrincipalKey: credential(other),
    targets: [
      {
        kind: 's3',
        bucket: 'acme-kubecost-federated',
        region: 'us-east-1',
        endpoint,
        forcePathStyle: true,
        prefix: 'federated',
      },
    ],
    retry: { attempts: 2, firstDelayMs: 100, maxDelayMs: 100 },
    deviations: {
      inactiveKeyStillAuthenticates:
        'moto 5.2.5 authenticates inactive access keys (moto/iam/access_control.py looks keys up without their Status)',
    },
    denyIssue: async () => {
      await adminIam.send(
        new PutUserPolicyCommand({
          UserName: 'kubecost-rotate-admin',
          PolicyName: 'deny-create',
          PolicyDocument: policy('Deny', ['iam:CreateAccessKey']),
        }),
      );
      return {
        permission: 'iam:CreateAccessKey',
        restore: async () => {
          await adminIam.send(
            new DeleteUserPolicyCommand({ UserName: 'kubecost-rotate-admin', PolicyName: 'deny-create' }),
          );
        },
      };
    },
    secrets: () => [admin.secretAccessKey, old.secretAccessKey, other.secretAccessKey],
  };
}

// Fails, never skips, on a machine without moto: .ci/run installs it with scripts/moto/ensure.sh.
it('has moto 5.2.5 installed (scripts/moto/ensure.sh installs it)', () => {
  expect(existsSync(motoServerPath()), `${motoServerPath()} is missing: run scripts/moto/ensure.sh`).toBe(true);
});

describeConformance('aws on moto', awsCapabilities(0), motoWorld);
