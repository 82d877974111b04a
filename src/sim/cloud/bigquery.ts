/**
 * BigQuery's REST API (v2), as far as a billing-export reader and a probe use it: `jobs.query`
 * (POST /bigquery/v2/projects/{p}/queries, dry runs included), `jobs.getQueryResults`, and
 * dataset and table get. Tables referenced in a standard-SQL query must exist; a query whose
 * select list is one number returns that number, any other returns no rows.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Authenticate } from './gcs.js';
import { sendGoogleError } from './google-errors.js';
import { readBody, sendJson } from './http.js';

/** `project.dataset.table` of every table that exists. */
export type BigQueryTables = Set<string>;

interface FinishedQuery {
  readonly schema: object;
  readonly rows: object[];
}

/** The table references of a standard-SQL query: `p.d.t` and `d.t` in backticks (the default project fills in). */
function tableRefs(query: string, project: string): string[] {
  const refs: string[] = [];
  for (const m of query.matchAll(/`([^`]+)`/g)) {
    const parts = (m[1] ?? '').split('.');
    if (parts.length === 3) refs.push(parts.join('.'));
    else if (parts.length === 2) refs.push(`${project}.${parts.join('.')}`);
  }
  return refs;
}

export class BigQueryEmulator {
  private readonly jobs = new Map<string, FinishedQuery>();

  constructor(
    private readonly tables: BigQueryTables,
    private readonly authenticate: Authenticate,
  ) {}

  /** Serves a request whose path starts with /bigquery/v2. */
  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const body = await readBody(req);
    const auth = this.authenticate(req, 'bigquery');
    if (!auth.ok) return sendGoogleError(res, auth.error);
    const path = url.pathname.replace(/^\/bigquery\/v2/, '');
    const method = req.method ?? 'GET';
    let m: RegExpExecArray | null;
    if ((m = /^\/projects\/([^/]+)\/queries$/.exec(path)) && method === 'POST')
      return this.query(res, decodeURIComponent(m[1] ?? ''), body);
    if ((m = /^\/projects\/([^/]+)\/queries\/([^/]+)$/.exec(path)) && method === 'GET')
      return this.results(res, decodeURIComponent(m[1] ?? ''), decodeURIComponent(m[2] ?? ''));
    if ((m = /^\/projects\/([^/]+)\/datasets\/([^/]+)\/tables\/([^/]+)$/.exec(path)) && method === 'GET') {
      const [project, dataset, table] = [m[1], m[2], m[3]].map((p) => decodeURIComponent(p ?? ''));
      if (!this.tables.has(`${project}.${dataset}.${table}`))
        return sendGoogleError(res, {
          status: 404,
          message: `Not found: Table ${project}:${dataset}.${table}`,
          reason: 'notFound',
        });
      return sendJson(res, 200, {
        kind: 'bigquery#table',
        id: `${project}:${dataset}.${table}`,
        tableReference: { projectId: project, datasetId: dataset, tableId: table },
        type: 'TABLE',
        location: 'US',
        numRows: '0',
        numBytes: '0',
        schema: { fields: [] },
      });
    }
    if ((m = /^\/projects\/([^/]+)\/datasets\/([^/]+)$/.exec(path)) && method === 'GET') {
      const [project, dataset] = [m[1], m[2]].map((p) => decodeURIComponent(p ?? ''));
      if (![...this.tables].some((t) => t.startsWith(`${project}.${dataset}.`)))
        return sendGoogleError(res, {
          status: 404,
          message: `Not found: Dataset ${project}:${dataset}`,
          reason: 'notFound',
        });
      return sendJson(res, 200, {
        kind: 'bigquery#dataset',
        id: `${project}:${dataset}`,
        datasetReference: { projectId: project, datasetId: dataset },
        location: 'US',
      });
    }
    sendGoogleError(res, { status: 404, message: `Not found: ${method} ${url.pathname}`, reason: 'notFound' });
  }

  private query(res: ServerResponse, project: string, body: Buffer): void {
    let request: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(body.toString('utf8') || '{}');
      request = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
    } catch {
      return sendGoogleError(res, { status: 400, message: 'Invalid JSON payload received.', reason: 'invalid' });
    }
    const query = typeof request.query === 'string' ? request.query : '';
    if (!query.trim())
      return sendGoogleError(res, { status: 400, message: 'Required parameter is missing: query', reason: 'required' });
    // As in the real API, legacy SQL is the default, and it does not understand backticks.
    if (request.useLegacySql !== false && query.includes('`')) {
      return sendGoogleError(res, {
        status: 400,
        message: `Invalid table name: ${/`[^`]*`/.exec(query)?.[0] ?? ''} [Try using standard SQL (https://cloud.google.com/bigquery/docs/reference/standard-sql/enabling-standard-sql)].`,
        reason: 'invalidQuery',
      });
    }
    for (const ref of tableRefs(query, project)) {
      if (!this.tables.has(ref)) {
        const [p, d, t] = ref.split('.');
        return sendGoogleError(res, {
          status: 404,
          message: `Not found: Table ${p}:${d}.${t} was not found in location US`,
          reason: 'notFound',
        });
      }
    }
    const literal = /^\s*select\s+(\d+)(?:\s+as\s+(\w+))?\s*(from\s+.*)?$/is.exec(query.replace(/;\s*$/, ''));
    const column = literal?.[2] ?? 'f0_';
    const schema = { fields: [{ name: column, type: 'INTEGER', mode: 'NULLABLE' }] };
    const fromTable = literal?.[3] !== undefined;
    // Emulated tables hold no rows, so a select from one returns none.
    const rows = literal && !fromTable ? [{ f: [{ v: literal[1] }] }] : [];
    if (request.dryRun === true) {
      return sendJson(res, 200, {
        kind: 'bigquery#queryResponse',
        schema,
        jobReference: { projectId: project, location: 'US' },
        totalBytesProcessed: '0',
        jobComplete: true,
        cacheHit: false,
      });
    }
    const jobId = `job_${randomBytes(12).toString('base64url')}`;
    this.jobs.set(`${project}/${jobId}`, { schema, rows });
    sendJson(res, 200, {
      kind: 'bigquery#queryResponse',
      schema,
      jobReference: { projectId: project, jobId, location: 'US' },
      totalRows: String(rows.length),
      ...(rows.length > 0 ? { rows } : {}),
      totalBytesProcessed: '0',
      jobComplete: true,
      cacheHit: false,
    });
  }

  private results(res: ServerResponse, project: string, jobId: string): void {
    const job = this.jobs.get(`${project}/${jobId}`);
    if (!job)
      return sendGoogleError(res, {
        status: 404,
        message: `Not found: Job ${project}:US.${jobId}`,
        reason: 'notFound',
      });
    sendJson(res, 200, {
      kind: 'bigquery#getQueryResultsResponse',
      schema: job.schema,
      jobReference: { projectId: project, jobId, location: 'US' },
      totalRows: String(job.rows.length),
      ...(job.rows.length > 0 ? { rows: job.rows } : {}),
      jobComplete: true,
      cacheHit: false,
    });
  }
}
