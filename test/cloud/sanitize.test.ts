/**
 * sanitize: provider errors lose request ids, signatures, credential scopes, tokens, keys and any
 * echo of the secret, checked on error text shaped like what each cloud and SDK really produces.
 */
import { describe, expect, it } from 'vitest';
import { describeProviderError, sanitizeText, secretsOfDocument } from '../../src/providers/sanitize.js';

const AWS_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const SIGNATURE = 'fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024';
const AZURE_KEY = 'Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYg==';
const PEM =
  '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\nMzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu\n-----END PRIVATE KEY-----\n';

describe('sanitizeText', () => {
  it.each([
    [
      'strips the request id from an AWS SDK for Go v2 error, as Kubecost logs it',
      'operation error Athena: StartQueryExecution, https response error StatusCode: 400, RequestID: 5d2f0a6e-2f1b-4a33-9c2a-3b1d2e4f5a6b, api error UnrecognizedClientException: The security token included in the request is invalid.',
      'operation error Athena: StartQueryExecution, https response error StatusCode: 400, RequestID: [redacted], api error UnrecognizedClientException: The security token included in the request is invalid.',
    ],
    [
      'strips what an S3 SignatureDoesNotMatch body echoes of the signed request, but keeps the key id',
      `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided. Check your key and signing method.</Message><AWSAccessKeyId>AKIAIOSFODNN7EXAMPLE</AWSAccessKeyId><StringToSign>AWS4-HMAC-SHA256\n20261128T101500Z\n20261128/us-east-1/s3/aws4_request\n9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d</StringToSign><SignatureProvided>${SIGNATURE}</SignatureProvided><StringToSignBytes>41 57 53 34</StringToSignBytes><CanonicalRequest>PUT\n/bkt/key\n\nhost:bkt.s3.amazonaws.com\nx-amz-date:20261128T101500Z\n\nhost;x-amz-date\nUNSIGNED-PAYLOAD</CanonicalRequest><CanonicalRequestBytes>50 55 54</CanonicalRequestBytes><RequestId>4442587FB7D0A2F9</RequestId><HostId>kXKs1Vv0E4yEU0QOHz0+XdYkUKrQm8Gb6yQJ6BYfP6Vw=</HostId></Error>`,
      '<?xml version="1.0" encoding="UTF-8"?> <Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided. Check your key and signing method.</Message><AWSAccessKeyId>AKIAIOSFODNN7EXAMPLE</AWSAccessKeyId><StringToSign>[redacted]</StringToSign><SignatureProvided>[redacted]</SignatureProvided><StringToSignBytes>[redacted]</StringToSignBytes><CanonicalRequest>[redacted]</CanonicalRequest><CanonicalRequestBytes>[redacted]</CanonicalRequestBytes><RequestId>[redacted]</RequestId><HostId>[redacted]</HostId></Error>',
    ],
    [
      'strips the Credential= scope and the signature of an echoed SigV4 Authorization header',
      `request failed: Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261128/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=${SIGNATURE}`,
      'request failed: Authorization: AWS4-HMAC-SHA256 Credential=[redacted], SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=[redacted]',
    ],
    [
      'strips the credential, signature and session token of a presigned URL',
      `GET https://bkt.s3.amazonaws.com/key?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20261128%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261128T101500Z&X-Amz-Expires=900&X-Amz-Security-Token=IQoJb3JpZ2luX2VjEJr&X-Amz-Signature=${SIGNATURE}&X-Amz-SignedHeaders=host failed: 403`,
      'GET https://bkt.s3.amazonaws.com/key?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=[redacted]&X-Amz-Date=20261128T101500Z&X-Amz-Expires=900&X-Amz-Security-Token=[redacted]&X-Amz-Signature=[redacted]&X-Amz-SignedHeaders=host failed: 403',
    ],
    [
      'strips the request id and time from an Azure storage error, as @azure/storage-blob reports it',
      'Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.\nRequestId:0d082054-b757-4e32-9f76-a609f119f209\nTime:2026-11-28T21:49:30.1234567Z',
      'Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature. RequestId:[redacted] Time:[redacted]',
    ],
    [
      "strips the signature and string-to-sign from an Azure SDK for Go ResponseError's AuthenticationFailed detail",
      'GET https://acmecostexports.blob.core.windows.net/costexports/daily.csv\n--------------------------------------------------------------------------------\nRESPONSE 403: 403 Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.\nERROR CODE: AuthenticationFailed\n--------------------------------------------------------------------------------\n<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthenticationFailed</Code><Message>Server failed to authenticate the request.\nRequestId:9a1b2c3d-401e-0012-6c1e-4d2f8e000000\nTime:2026-11-28T10:15:00.0000000Z</Message><AuthenticationErrorDetail>The MAC signature found in the HTTP request \'q1w2e3r4t5y6u7i8o9p0AbCdEfGhIjKlMnOpQrStUvw=\' is not the same as any computed signature. Server used following string to sign: \'GET\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:Sat, 28 Nov 2026 10:15:00 GMT\nx-ms-version:2023-11-03\n/acmecostexports/costexports/daily.csv\'.</AuthenticationErrorDetail></Error>',
      'GET https://acmecostexports.blob.core.windows.net/costexports/daily.csv -------------------------------------------------------------------------------- RESPONSE 403: 403 Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature. ERROR CODE: AuthenticationFailed -------------------------------------------------------------------------------- <?xml version="1.0" encoding="utf-8"?><Error><Code>AuthenticationFailed</Code><Message>Server failed to authenticate the request. RequestId:[redacted] Time:[redacted]</Message><AuthenticationErrorDetail>The MAC signature found in the HTTP request \'[redacted]\' is not the same as any computed signature. Server used following string to sign: \'[redacted]\'.</AuthenticationErrorDetail></Error>',
    ],
    [
      'strips the account key of a connection string, a SAS signature and a SharedKey header',
      `bad config DefaultEndpointsProtocol=https;AccountName=acmecostexports;AccountKey=${AZURE_KEY};EndpointSuffix=core.windows.net; url https://acmecostexports.blob.core.windows.net/c/b?sv=2022-11-02&sp=r&se=2026-12-01T00%3A00%3A00Z&sig=AbC%2Bdef%3D&spr=https; header Authorization: SharedKey acmecostexports:Xyz+abc/def=`,
      'bad config DefaultEndpointsProtocol=https;AccountName=acmecostexports;AccountKey=[redacted];EndpointSuffix=core.windows.net; url https://acmecostexports.blob.core.windows.net/c/b?sv=2022-11-02&sp=r&se=2026-12-01T00%3A00%3A00Z&sig=[redacted]&spr=https; header Authorization: SharedKey acmecostexports:[redacted]',
    ],
    [
      "keeps golang/oauth2's invalid_grant answer readable",
      'oauth2: cannot fetch token: 400 Bad Request\nResponse: {"error":"invalid_grant","error_description":"Invalid JWT Signature."}',
      'oauth2: cannot fetch token: 400 Bad Request Response: {"error":"invalid_grant","error_description":"Invalid JWT Signature."}',
    ],
    [
      'strips a JWT assertion, a bearer token and an issued access token',
      'POST https://oauth2.googleapis.com/token grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJrdWJlY29zdCJ9.c2lnbmF0dXJl; then Authorization: Bearer ya29.c.b0AXv0zTPx-abc_123; body {"access_token":"ya29.a0AfB_byC-xyz","expires_in":3599}',
      'POST https://oauth2.googleapis.com/token grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=[redacted jwt]; then Authorization: Bearer [redacted]; body {"access_token":"[redacted]","expires_in":3599}',
    ],
    [
      'strips key material under its usual field names even when the secret is not known',
      `parsing config YAML file: type: S3 config: {bucket: kubecost, access_key: AKIAIOSFODNN7EXAMPLE, secret_key: ${AWS_SECRET}} and {"serviceKeySecret": "${AWS_SECRET}", "azureStorageAccessKey": "x"}`,
      'parsing config YAML file: type: S3 config: {bucket: kubecost, access_key: AKIAIOSFODNN7EXAMPLE, secret_key: [redacted]} and {"serviceKeySecret": "[redacted]", "azureStorageAccessKey": "x"}',
    ],
    [
      'strips a private key, whole or cut off, raw or JSON-escaped',
      `key ${PEM} and ${JSON.stringify(PEM)} and truncated -----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkq`,
      'key [redacted pem] and "[redacted pem]" and truncated [redacted pem]',
    ],
  ])('%s', (_, raw, expected) => {
    expect(sanitizeText(raw)).toBe(expected);
  });

  it('cuts out every echo of the secret in use: raw, JSON-escaped, URL-encoded and line by line', () => {
    const text = `secret ${AWS_SECRET} / ${encodeURIComponent(AWS_SECRET)} / line ${PEM.split('\n')[2] ?? ''} / json ${JSON.stringify(PEM)}`;
    const out = sanitizeText(text, [AWS_SECRET, PEM]);
    expect(out).not.toContain(AWS_SECRET);
    expect(out).not.toContain(encodeURIComponent(AWS_SECRET));
    expect(out).not.toContain('MzEfYyjiWA4R4');
    expect(out).toBe('secret [redacted] / [redacted] / line [redacted] / json "[redacted]"');
  });

  it('finds the private key inside a GCP key file, so an echo of it alone is cut too', () => {
    const keyFile = JSON.stringify({
      type: 'service_account',
      client_email: 'kubecost@acme.iam.gserviceaccount.com',
      private_key_id: 'abc123',
      private_key: PEM,
    });
    const lineOfKey = PEM.split('\n')[1] ?? '';
    expect(sanitizeText(`could not use ${lineOfKey}`, secretsOfDocument(keyFile))).toBe('could not use [redacted]');
  });

  it('bounds the length of a message', () => {
    expect(sanitizeText('x'.repeat(5000)).length).toBeLessThanOrEqual(1001);
  });
});

describe('describeProviderError', () => {
  it('takes name, code and status from an AWS SDK v3 service exception', () => {
    const error = Object.assign(
      new Error(
        'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
      ),
      {
        name: 'SignatureDoesNotMatch',
        Code: 'SignatureDoesNotMatch',
        $fault: 'client',
        $metadata: { httpStatusCode: 403, requestId: '4442587FB7D0A2F9', extendedRequestId: 'kXKs1Vv0E4yEU0QOHz0' },
      },
    );
    expect(describeProviderError(error)).toEqual({
      name: 'SignatureDoesNotMatch',
      code: 'SignatureDoesNotMatch',
      status: 403,
      message: error.message,
    });
  });

  it('takes the error code of an Azure RestError from its details, and names a bodiless 403', () => {
    const error = Object.assign(new Error(''), {
      name: 'RestError',
      statusCode: 403,
      details: { errorCode: 'AuthorizationFailure' },
    });
    expect(describeProviderError(error)).toEqual({
      name: 'RestError',
      code: 'AuthorizationFailure',
      status: 403,
      message: 'HTTP 403',
    });
  });

  it('takes the OAuth error of a gaxios token error, and the reason of a Google API error', () => {
    const token = Object.assign(new Error('invalid_grant: Invalid JWT Signature.'), {
      name: 'GaxiosError',
      status: 400,
      response: { status: 400, data: { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' } },
    });
    expect(describeProviderError(token)).toEqual({
      name: 'GaxiosError',
      code: 'invalid_grant',
      status: 400,
      message: 'invalid_grant: Invalid JWT Signature.',
    });
    const api = Object.assign(new Error('Access denied.'), {
      name: 'GaxiosError',
      response: {
        status: 403,
        data: { error: { code: 403, message: 'Access denied.', errors: [{ reason: 'forbidden' }] } },
      },
    });
    expect(describeProviderError(api)).toMatchObject({ code: 'forbidden', status: 403 });
  });

  it('finds the network error code in the cause of a fetch failure', () => {
    const error = new TypeError('fetch failed', {
      cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }),
    });
    expect(describeProviderError(error)).toEqual({
      name: 'TypeError',
      network: 'ECONNREFUSED',
      message: 'fetch failed',
    });
  });

  it('sanitizes a thrown string that carries the secret', () => {
    expect(describeProviderError(`cannot sign with ${AWS_SECRET}`, [AWS_SECRET])).toEqual({
      name: 'string',
      message: 'cannot sign with [redacted]',
    });
  });
});
