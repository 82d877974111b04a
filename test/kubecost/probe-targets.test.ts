/** Which resource a site's consumer reads, from the documents the chart and the docs show. */
import { describe, expect, it } from 'vitest';
import { resourceTargetOf } from '../../src/kubecost/probe-targets.js';
import { awsAccessKey, azureStorageKey, gcpServiceAccountKey } from '../../src/sim/kubecost/credentials.js';
import {
  azureStorageConfig,
  cloudIntegrationLegacy,
  cloudIntegrationNested,
  objstoreAzure,
  objstoreGcs,
  objstoreS3,
} from '../../src/sim/kubecost/documents.js';

const aws = awsAccessKey('u');
const gcp = gcpServiceAccountKey('sa', 'proj');
const azure = azureStorageKey('acct');
const athena = {
  account: '123456789012',
  region: 'eu-west-1',
  bucket: 's3://results-bucket',
  database: 'cur_db',
  table: 'cur',
  workgroup: 'wg',
};

describe('resourceTargetOf', () => {
  it('reads the bucket, region and prefix of an S3 object-store config, leaving AWS endpoints to the SDK', () => {
    expect(resourceTargetOf('objstore-s3', 'config', objstoreS3('thanos-bucket', 'eu-west-1', aws, 'fleet'))).toEqual({
      kind: 's3',
      bucket: 'thanos-bucket',
      region: 'eu-west-1',
      prefix: 'fleet',
    });
    const minio = objstoreS3('b', 'us-east-1', aws).replace(
      'endpoint: "s3.amazonaws.com"',
      'endpoint: "minio.internal:9000"',
    );
    expect(resourceTargetOf('objstore-s3', 'config', minio)).toMatchObject({ endpoint: 'https://minio.internal:9000' });
  });

  it('reads GCS and Azure object-store configs, with a sovereign Azure endpoint', () => {
    expect(resourceTargetOf('objstore-gcs', 'config', objstoreGcs('fed-bucket', gcp))).toEqual({
      kind: 'gcs',
      bucket: 'fed-bucket',
    });
    expect(resourceTargetOf('objstore-azure', 'config', objstoreAzure('fed', azure, 'p'))).toEqual({
      kind: 'azure-blob',
      account: 'acct',
      container: 'fed',
      prefix: 'p',
    });
    const china = objstoreAzure('fed', azure).replace('endpoint: ""', 'endpoint: "blob.core.chinacloudapi.cn"');
    expect(resourceTargetOf('objstore-azure', 'config', china)).toMatchObject({
      endpoint: 'https://acct.blob.core.chinacloudapi.cn',
    });
  });

  it('finds the Athena workgroup of a nested entry, through an AssumeRole wrapper', () => {
    const text = cloudIntegrationNested([
      { kind: 's3', target: { account: '1', region: 'us-east-1', bucket: 'cur' }, key: aws },
      { kind: 'athena', target: athena, key: aws, assumeRoleArn: 'arn:aws:iam::1:role/r' },
    ]);
    expect(resourceTargetOf('cloud-integration-nested', 'aws.athena[0].authorizer.authorizer', text)).toEqual({
      kind: 'athena',
      region: 'eu-west-1',
      workgroup: 'wg',
      database: 'cur_db',
      outputLocation: 's3://results-bucket',
    });
    expect(resourceTargetOf('cloud-integration-nested', 'aws.s3[0].authorizer', text)).toEqual({
      kind: 's3',
      bucket: 'cur',
      region: 'us-east-1',
    });
  });

  it('finds the BigQuery table and the Azure billing container of nested and legacy entries', () => {
    const nested = cloudIntegrationNested([
      { kind: 'bigQuery', target: { projectId: 'p', dataset: 'd', table: 't' }, key: gcp },
      { kind: 'azureStorage', target: { subscriptionId: 's', container: 'exports', path: 'daily' }, key: azure },
    ]);
    expect(resourceTargetOf('cloud-integration-nested', 'gcp.bigQuery[0].authorizer', nested)).toEqual({
      kind: 'bigquery',
      projectId: 'p',
      dataset: 'd',
      table: 't',
    });
    expect(resourceTargetOf('cloud-integration-nested', 'azure.storage[0].authorizer', nested)).toEqual({
      kind: 'azure-blob',
      account: 'acct',
      container: 'exports',
      prefix: 'daily',
    });
    const legacy = cloudIntegrationLegacy([
      { kind: 'aws', target: athena, key: aws },
      { kind: 'gcp', projectId: 'p', billingDataDataset: 'ds.tbl', key: gcp },
      { kind: 'azure', subscriptionId: 's', container: 'c', key: azure },
    ]);
    expect(resourceTargetOf('cloud-integration-legacy', 'aws[0]', legacy)).toMatchObject({
      kind: 'athena',
      database: 'cur_db',
    });
    expect(resourceTargetOf('cloud-integration-legacy', 'gcp[0]', legacy)).toEqual({
      kind: 'bigquery',
      projectId: 'p',
      dataset: 'ds',
      table: 'tbl',
    });
    expect(resourceTargetOf('cloud-integration-legacy', 'azure[0]', legacy)).toEqual({
      kind: 'azure-blob',
      account: 'acct',
      container: 'c',
    });
    expect(resourceTargetOf('azure-storage-config', '$', azureStorageConfig(azure, 'c2'))).toEqual({
      kind: 'azure-blob',
      account: 'acct',
      container: 'c2',
    });
  });

  it('names no resource for a legacy service key', () => {
    expect(
      resourceTargetOf('service-key-json', '$', '{"aws_access_key_id":"AKIA","aws_secret_access_key":"x"}'),
    ).toBeUndefined();
  });

  it('names no resource for a GCP API key, and does not try to read it as JSON', () => {
    expect(resourceTargetOf('gcp-api-key', '$', 'AIzaSyFAKEexampleKEYforTESTSonly0000001\n')).toBeUndefined();
  });
});
