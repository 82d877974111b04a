/**
 * Athena's API (AWS JSON 1.1, `X-Amz-Target: AmazonAthena.<Operation>`) as far as Kubecost and a
 * key probe use it: StartQueryExecution, GetQueryExecution and GetQueryResults. Every request
 * must carry a valid SigV4 signature of an allowed key; errors use AWS's codes and wording.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { asyncHandler, readBody, sendJson } from './http.js';
import { verifySigV4, type AwsJsonError } from './sigv4.js';

const CONTENT_TYPE = 'application/x-amz-json-1.1';

interface QueryExecution {
  readonly id: string;
  readonly query: string;
  readonly workgroup: string;
  readonly database: string | undefined;
  readonly catalog: string | undefined;
  readonly outputLocation: string;
  readonly submitted: Date;
  readonly state: 'SUCCEEDED' | 'FAILED';
  readonly reason: string | undefined;
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** `SELECT 1`, `select 42 as x`: a query whose only result is one number. */
function literalResult(query: string): string | undefined {
  return /^\s*select\s+(\d+)(\s+as\s+\w+)?\s*;?\s*$/i.exec(query)?.[1];
}

export class AthenaEmulator {
  private readonly executions = new Map<string, QueryExecution>();

  /**
   * @param secretOf the registered secret of an allowed access key id
   * @param used called with the key id of every authenticated request
   * @param bucketExists whether an S3 bucket exists (query results go there)
   */
  constructor(
    private readonly secretOf: (accessKeyId: string) => string | undefined,
    private readonly used: (accessKeyId: string) => void,
    private readonly bucketExists: (bucket: string) => Promise<boolean>,
  ) {}

  readonly handler = asyncHandler(async (req, res) => this.handle(req, res));

  private reply(res: ServerResponse, status: number, body: unknown): void {
    sendJson(res, status, body, { 'x-amzn-RequestId': randomUUID() }, CONTENT_TYPE);
  }

  private error(res: ServerResponse, error: AwsJsonError): void {
    sendJson(
      res,
      error.status,
      { __type: error.type, message: error.message },
      { 'x-amzn-RequestId': randomUUID(), 'x-amzn-ErrorType': `${error.type}:` },
      CONTENT_TYPE,
    );
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    if (req.method !== 'POST') return this.error(res, { status: 404, type: 'UnknownOperationException', message: '' });
    const auth = await verifySigV4(
      { method: req.method, url: req.url ?? '/', headers: req.headers, body },
      'athena',
      this.secretOf,
    );
    if (!auth.ok) return this.error(res, auth.error);
    this.used(auth.accessKeyId);
    const target = String(req.headers['x-amz-target'] ?? '');
    let input: Record<string, unknown>;
    try {
      input = record(JSON.parse(body.toString('utf8') || '{}'));
    } catch {
      return this.error(res, {
        status: 400,
        type: 'SerializationException',
        message: 'Start of structure or map found where not expected.',
      });
    }
    switch (target) {
      case 'AmazonAthena.StartQueryExecution':
        return this.start(res, input);
      case 'AmazonAthena.GetQueryExecution':
        return this.get(res, input);
      case 'AmazonAthena.GetQueryResults':
        return this.results(res, input);
      default:
        return this.error(res, { status: 400, type: 'UnknownOperationException', message: '' });
    }
  }

  private async start(res: ServerResponse, input: Record<string, unknown>): Promise<void> {
    const query = str(input.QueryString);
    if (!query)
      return this.error(res, {
        status: 400,
        type: 'InvalidRequestException',
        message:
          "1 validation error detected: Value null at 'queryString' failed to satisfy constraint: Member must not be null",
      });
    const context = record(input.QueryExecutionContext);
    const outputLocation = str(record(input.ResultConfiguration).OutputLocation);
    if (!outputLocation) {
      return this.error(res, {
        status: 400,
        type: 'InvalidRequestException',
        message:
          'No output location provided. An output location is required either through the Workgroup result configuration setting or as an API input.',
      });
    }
    const bucket = /^s3:\/\/([^/]+)/.exec(outputLocation)?.[1];
    if (!bucket)
      return this.error(res, {
        status: 400,
        type: 'InvalidRequestException',
        message: `outputLocation is not a valid S3 path. Provided ${outputLocation}`,
      });
    const reachable = await this.bucketExists(bucket);
    const id = randomUUID();
    this.executions.set(id, {
      id,
      query,
      workgroup: str(input.WorkGroup) ?? 'primary',
      database: str(context.Database),
      catalog: str(context.Catalog),
      outputLocation: `${outputLocation.replace(/\/$/, '')}/${id}.csv`,
      submitted: new Date(),
      state: reachable ? 'SUCCEEDED' : 'FAILED',
      reason: reachable ? undefined : `Unable to verify/create output bucket ${bucket}`,
    });
    this.reply(res, 200, { QueryExecutionId: id });
  }

  private find(res: ServerResponse, input: Record<string, unknown>): QueryExecution | undefined {
    const id = str(input.QueryExecutionId) ?? '';
    const execution = this.executions.get(id);
    if (!execution)
      this.error(res, { status: 400, type: 'InvalidRequestException', message: `QueryExecution ${id} was not found` });
    return execution;
  }

  private get(res: ServerResponse, input: Record<string, unknown>): void {
    const e = this.find(res, input);
    if (!e) return;
    const seconds = e.submitted.getTime() / 1000;
    this.reply(res, 200, {
      QueryExecution: {
        QueryExecutionId: e.id,
        Query: e.query,
        StatementType: 'DML',
        ResultConfiguration: { OutputLocation: e.outputLocation },
        QueryExecutionContext: {
          ...(e.database ? { Database: e.database } : {}),
          Catalog: e.catalog ?? 'awsdatacatalog',
        },
        Status: {
          State: e.state,
          SubmissionDateTime: seconds,
          CompletionDateTime: seconds,
          ...(e.reason
            ? {
                StateChangeReason: e.reason,
                AthenaError: { ErrorCategory: 2, ErrorType: 1000, Retryable: false, ErrorMessage: e.reason },
              }
            : {}),
        },
        Statistics: { EngineExecutionTimeInMillis: 1, DataScannedInBytes: 0, TotalExecutionTimeInMillis: 1 },
        WorkGroup: e.workgroup,
        EngineVersion: { SelectedEngineVersion: 'AUTO', EffectiveEngineVersion: 'Athena engine version 3' },
      },
    });
  }

  private results(res: ServerResponse, input: Record<string, unknown>): void {
    const e = this.find(res, input);
    if (!e) return;
    if (e.state !== 'SUCCEEDED')
      return this.error(res, {
        status: 400,
        type: 'InvalidRequestException',
        message: `Query has not yet finished. Current state: ${e.state}`,
      });
    const value = literalResult(e.query);
    const columns =
      value === undefined
        ? []
        : [
            {
              CatalogName: 'hive',
              SchemaName: '',
              TableName: '',
              Name: '_col0',
              Label: '_col0',
              Type: 'integer',
              Precision: 10,
              Scale: 0,
              Nullable: 'UNKNOWN',
              CaseSensitive: false,
            },
          ];
    const rows =
      value === undefined ? [] : [{ Data: [{ VarCharValue: '_col0' }] }, { Data: [{ VarCharValue: value }] }];
    this.reply(res, 200, { UpdateCount: 0, ResultSet: { Rows: rows, ResultSetMetadata: { ColumnInfo: columns } } });
  }
}
