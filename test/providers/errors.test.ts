/**
 * ProviderError from real-shaped SDK errors of each cloud's control plane: the kind, the
 * permission a denial names, a hint, and nothing secret anywhere — not in the message, the JSON
 * or util.inspect (the SDK error, which holds the request and its signature, is not kept).
 */
import { inspect } from 'node:util';
import { IAMServiceException } from '@aws-sdk/client-iam';
import { RestError } from '@azure/storage-blob';
import { describe, expect, it } from 'vitest';
import {
  awsErrors,
  azureErrors,
  gcpErrors,
  ProviderError,
  providerErrorFrom,
  type ErrorClassifier,
} from '../../src/providers/index.js';

const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const SIGNATURE = 'fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024';
const CLIENT_SECRET = 'Qx8Q~abcdefghijklmnopqrstuvwxyz0123456789';
const BEARER = 'eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJhcHBpZCI6ImFiYyJ9.c2lnbmF0dXJlc2lnbmF0dXJl';

function awsException(name: string, status: number, message: string): IAMServiceException {
  return new IAMServiceException({
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status, requestId: '4442587f-b7d0-a2f9-0000-123456789abc', attempts: 1 },
    message,
  });
}

/** What gaxios throws for a Google API error (fields as gaxios 7 sets them; the request config included). */
function gaxiosError(status: number, body: object): Error {
  return Object.assign(new Error(JSON.stringify(body)), {
    name: 'GaxiosError',
    status,
    config: {
      url: 'https://iam.googleapis.com/v1/projects/acme/serviceAccounts/x/keys',
      headers: { Authorization: `Bearer ya29.${'a'.repeat(40)}` },
    },
    response: { status, data: body, headers: {} },
  });
}

function restError(code: string, status: number, message: string): RestError {
  return new RestError(message, {
    code,
    statusCode: status,
    request: {
      url: 'https://management.azure.com/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acme/listKeys',
      headers: { get: () => `Bearer ${BEARER}` },
    } as never,
  });
}

const cases: Record<
  string,
  {
    error: unknown;
    classifier: ErrorClassifier;
    provider: 'aws' | 'gcp' | 'azure';
    kind: ProviderError['kind'];
    permission?: string;
    secrets?: string[];
  }
> = {
  'an IAM AccessDenied is permission_missing naming the action': {
    error: awsException(
      'AccessDenied',
      403,
      'User: arn:aws:iam::123456789012:user/ops is not authorized to perform: iam:CreateAccessKey on resource: user kubecost because no identity-based policy allows the iam:CreateAccessKey action',
    ),
    classifier: awsErrors,
    provider: 'aws',
    kind: 'permission_missing',
    permission: 'iam:CreateAccessKey',
  },
  'an IAM LimitExceeded on a third key is limit_reached': {
    error: awsException('LimitExceeded', 409, 'Cannot exceed quota for AccessKeysPerUser: 2'),
    classifier: awsErrors,
    provider: 'aws',
    kind: 'limit_reached',
  },
  'an IAM NoSuchEntity is not_found': {
    error: awsException('NoSuchEntity', 404, 'The Access Key with id AKIAIOSFODNN7EXAMPLE cannot be found.'),
    classifier: awsErrors,
    provider: 'aws',
    kind: 'not_found',
  },
  'an STS SignatureDoesNotMatch that echoes the signed request and the secret is invalid_key, with both cut out': {
    error: awsException(
      'SignatureDoesNotMatch',
      403,
      `The request signature we calculated does not match the signature you provided. Authorization=AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261202/us-east-1/sts/aws4_request, SignedHeaders=host;x-amz-date, Signature=${SIGNATURE} secret=${SECRET}`,
    ),
    classifier: awsErrors,
    provider: 'aws',
    kind: 'invalid_key',
    secrets: [SECRET, SIGNATURE],
  },
  'an IAM Throttling is throttled': {
    error: awsException('Throttling', 400, 'Rate exceeded'),
    classifier: awsErrors,
    provider: 'aws',
    kind: 'throttled',
  },
  'a refused connection is network': {
    error: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
    classifier: awsErrors,
    provider: 'aws',
    kind: 'network',
  },
  'a GCP PERMISSION_DENIED names the IAM permission': {
    error: gaxiosError(403, {
      error: {
        code: 403,
        message: "Permission 'iam.serviceAccountKeys.create' denied on resource (or it may not exist).",
        status: 'PERMISSION_DENIED',
        details: [
          {
            '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
            reason: 'IAM_PERMISSION_DENIED',
            domain: 'iam.googleapis.com',
          },
        ],
      },
    }),
    classifier: gcpErrors,
    provider: 'gcp',
    kind: 'permission_missing',
    permission: 'iam.serviceAccountKeys.create',
  },
  "GCP's answer to an eleventh key is limit_reached": {
    error: gaxiosError(400, {
      error: { code: 400, message: 'Precondition check failed.', status: 'FAILED_PRECONDITION' },
    }),
    classifier: gcpErrors,
    provider: 'gcp',
    kind: 'limit_reached',
  },
  'a GCP token refusal of the managing key is invalid_key': {
    error: gaxiosError(400, { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' }),
    classifier: gcpErrors,
    provider: 'gcp',
    kind: 'invalid_key',
  },
  'an ARM AuthorizationFailed names the action, and the bearer token of the request stays out': {
    error: restError(
      'AuthorizationFailed',
      403,
      "The client 'f24600ae-057e-46b0-b5b1-a6c91550b501' with object id 'c0e4dc81-9e56-4f87-9d48-5c908d93a4e5' does not have authorization to perform action 'Microsoft.Storage/storageAccounts/listKeys/action' over scope '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acme' or the scope is invalid.",
    ),
    classifier: azureErrors,
    provider: 'azure',
    kind: 'permission_missing',
    permission: 'Microsoft.Storage/storageAccounts/listKeys/action',
    secrets: [BEARER],
  },
  'an ARM ResourceNotFound is not_found': {
    error: restError(
      'ResourceNotFound',
      404,
      "The Resource 'Microsoft.Storage/storageAccounts/acme' under resource group 'rg' was not found.",
    ),
    classifier: azureErrors,
    provider: 'azure',
    kind: 'not_found',
  },
  'an Entra ID refusal of the client secret is invalid_key, with an echoed secret cut out': {
    error: Object.assign(
      new Error(
        `ClientSecretCredential authentication failed: AADSTS7000215: Invalid client secret provided (client_secret=${CLIENT_SECRET}). Trace ID: 0b1c2d3e`,
      ),
      { name: 'AuthenticationError', statusCode: 401 },
    ),
    classifier: azureErrors,
    provider: 'azure',
    kind: 'invalid_key',
    secrets: [CLIENT_SECRET],
  },
};

describe('providerErrorFrom', () => {
  for (const [name, c] of Object.entries(cases))
    it(name, () => {
      const error = providerErrorFrom(
        c.error,
        { provider: c.provider, operation: 'op', subject: 'the principal' },
        c.classifier,
        c.secrets ?? [],
      );
      expect(error).toBeInstanceOf(ProviderError);
      expect(error.kind).toBe(c.kind);
      expect(error.permission).toBe(c.permission);
      expect(error.hint?.length).toBeGreaterThan(20);
      if (c.permission) expect(error.message).toContain(`missing permission ${c.permission}`);
      expect(error.message).toMatch(new RegExp(`^${c.provider} op for the principal failed`));
      expect('cause' in error).toBe(false);
      const everything = `${error.message}\n${JSON.stringify(error)}\n${inspect(error, { depth: 8 })}`;
      for (const secret of [...(c.secrets ?? []), SECRET, SIGNATURE, BEARER, CLIENT_SECRET, `ya29.${'a'.repeat(40)}`])
        expect(everything).not.toContain(secret);
      expect(everything).not.toMatch(/4442587f-b7d0-a2f9/);
    });

  it('says retryable only for throttled and network errors', () => {
    const kind = (k: ProviderError['kind']) =>
      new ProviderError({ provider: 'aws', operation: 'op', kind: k }, 'x').retryable;
    expect(['throttled', 'network'].every((k) => kind(k as ProviderError['kind']))).toBe(true);
    expect(
      ['permission_missing', 'limit_reached', 'not_found', 'invalid_key', 'unknown'].some((k) =>
        kind(k as ProviderError['kind']),
      ),
    ).toBe(false);
  });
});
