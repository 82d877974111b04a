/** The pure verification checks: kubectl's rollout rules, auth-failure log lines, the cloud-cost status. */
import type { V1Deployment, V1StatefulSet } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import {
  deploymentRollout,
  parseCloudCostStatus,
  scanLogForAuthFailures,
  statefulSetRollout,
} from '../../src/verify/checks.js';

const deployment = (generation: number, status: V1Deployment['status'], replicas = 2): V1Deployment => ({
  metadata: { name: 'd', generation },
  spec: { replicas, selector: {}, template: {} },
  status,
});

describe('deploymentRollout', () => {
  it('follows kubectl: observed generation, updated, old replicas, availability, then done', () => {
    expect(deploymentRollout(deployment(3, { observedGeneration: 2 }))).toMatchObject({
      done: false,
      message: 'Waiting for deployment spec update to be observed...',
    });
    expect(deploymentRollout(deployment(3, { observedGeneration: 3, updatedReplicas: 1, replicas: 2 })).message).toBe(
      'Waiting for deployment "d" rollout to finish: 1 out of 2 new replicas have been updated...',
    );
    expect(deploymentRollout(deployment(3, { observedGeneration: 3, updatedReplicas: 2, replicas: 3 })).message).toBe(
      'Waiting for deployment "d" rollout to finish: 1 old replicas are pending termination...',
    );
    expect(
      deploymentRollout(deployment(3, { observedGeneration: 3, updatedReplicas: 2, replicas: 2, availableReplicas: 1 }))
        .message,
    ).toBe('Waiting for deployment "d" rollout to finish: 1 of 2 updated replicas are available...');
    expect(
      deploymentRollout(
        deployment(3, { observedGeneration: 3, updatedReplicas: 2, replicas: 2, availableReplicas: 2 }),
      ),
    ).toEqual({ done: true, message: 'deployment "d" successfully rolled out' });
  });

  it('fails for good on ProgressDeadlineExceeded', () => {
    const status = {
      observedGeneration: 3,
      conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }],
    };
    expect(deploymentRollout(deployment(3, status))).toMatchObject({ done: false, failed: true });
  });
});

describe('statefulSetRollout', () => {
  const sts = (status: V1StatefulSet['status'], partition?: number, type = 'RollingUpdate'): V1StatefulSet => ({
    metadata: { name: 's', generation: 2 },
    spec: {
      replicas: 3,
      selector: {},
      serviceName: 's',
      template: {},
      updateStrategy: { type, ...(partition !== undefined ? { rollingUpdate: { partition } } : {}) },
    },
    ...(status ? { status } : {}),
  });
  it('waits for readiness, then for the partition or the revisions', () => {
    expect(statefulSetRollout(sts({ replicas: 3, observedGeneration: 2, readyReplicas: 2 })).message).toBe(
      'Waiting for 1 pods to be ready...',
    );
    expect(
      statefulSetRollout(sts({ replicas: 3, observedGeneration: 2, readyReplicas: 3, updatedReplicas: 1 }, 0)).done,
    ).toBe(false);
    expect(
      statefulSetRollout(sts({ replicas: 3, observedGeneration: 2, readyReplicas: 3, updatedReplicas: 3 }, 0)).done,
    ).toBe(true);
    expect(
      statefulSetRollout(
        sts({ replicas: 3, observedGeneration: 2, readyReplicas: 3, currentRevision: 'a', updateRevision: 'b' }),
      ).done,
    ).toBe(false);
    expect(
      statefulSetRollout(
        sts({ replicas: 3, observedGeneration: 2, readyReplicas: 3, currentRevision: 'b', updateRevision: 'b' }),
      ).done,
    ).toBe(true);
  });
  it('cannot follow an OnDelete StatefulSet', () => {
    expect(statefulSetRollout(sts({ replicas: 3, observedGeneration: 2 }, undefined, 'OnDelete'))).toMatchObject({
      failed: true,
    });
  });
});

describe('scanLogForAuthFailures', () => {
  it("finds each cloud's wording of a rejected key, with the first timestamp", () => {
    const log = [
      '2026-11-28T10:00:00.000000000Z 2026-11-28T10:00:00.000Z ERR CloudCost[123/s3://b]: ingestor: build failed for window [a, b): GetCloudCost: error getting Athena columns: QueryAthenaPaginated: start query error: operation error Athena: StartQueryExecution, https response error StatusCode: 400, RequestID: x, api error UnrecognizedClientException: The security token included in the request is invalid.',
      '2026-11-28T10:00:01.000000000Z level=error ts=2026-11-28T10:00:01Z caller=shipper.go:343 msg="shipping failed" err="upload chunks: The AWS Access Key Id you provided does not exist in our records."',
      '2026-11-28T10:00:02.000000000Z level=error msg="bucket store initial sync" err="The request signature we calculated does not match the signature you provided. Check your key and signing method."',
      '2026-11-28T10:00:03.000000000Z ERR BigQueryQuerier: oauth2: "invalid_grant" "Invalid JWT Signature."',
      '2026-11-28T10:00:04.000000000Z ERR Azure: DownloadBlob: RESPONSE 403: 403 Server failed to authenticate the request. ERROR CODE: AuthenticationFailed',
      '2026-11-28T10:00:05.000000000Z INF CloudCost[123/s3://b]: ingestor: completed run for window [a, b)',
    ].join('\n');
    expect(scanLogForAuthFailures(log).map((f) => [f.pattern, f.count, f.firstAt])).toEqual([
      ['AWS UnrecognizedClientException', 1, '2026-11-28T10:00:00.000000000Z'],
      ['AWS InvalidAccessKeyId', 1, '2026-11-28T10:00:01.000000000Z'],
      ['AWS SignatureDoesNotMatch', 1, '2026-11-28T10:00:02.000000000Z'],
      ['GCP invalid_grant', 1, '2026-11-28T10:00:03.000000000Z'],
      ['Azure AuthenticationFailed', 1, '2026-11-28T10:00:04.000000000Z'],
    ]);
  });
  it('finds nothing in healthy logs', () => {
    expect(
      scanLogForAuthFailures('2026-11-28T10:00:05Z INF uploaded file\nlevel=info msg="upload new block"\n'),
    ).toEqual([]);
  });
});

describe('parseCloudCostStatus', () => {
  it('reads each integration with its sanitized AWS key id (also under AWSAssumeRole) and last run', () => {
    const body = {
      code: 200,
      data: [
        {
          key: '1/b',
          provider: 'AWS',
          connectionStatus: 'Connection Successful',
          lastRun: '2026-11-28T10:00:00Z',
          config: {
            authorizer: {
              authorizerType: 'AWSAssumeRole',
              authorizer: { authorizerType: 'AWSAccessKey', id: 'AKIAEXAMPLE', secret: 'REDACTED' },
            },
          },
        },
        {
          key: 'p/d.t',
          provider: 'GCP',
          connectionStatus: 'No Connection',
          lastRun: '0001-01-01T00:00:00Z',
          config: {},
        },
      ],
    };
    expect(parseCloudCostStatus(body)).toEqual([
      {
        key: '1/b',
        provider: 'AWS',
        connectionStatus: 'Connection Successful',
        authorizerId: 'AKIAEXAMPLE',
        lastRun: Date.parse('2026-11-28T10:00:00Z'),
      },
      { key: 'p/d.t', provider: 'GCP', connectionStatus: 'No Connection' },
    ]);
    expect(() => parseCloudCostStatus({ code: 500 })).toThrow('no data array');
  });
});
