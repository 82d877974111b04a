/** Google API error bodies (`{"error":{"code","message","errors":[...],"status"}}`) as GCS and BigQuery send them. */
import type { ServerResponse } from 'node:http';
import { sendJson } from './http.js';

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ALREADY_EXISTS',
  500: 'INTERNAL',
};

export interface GoogleApiError {
  readonly status: number;
  readonly message: string;
  /** The legacy `errors[].reason` (`authError`, `notFound`, `required`, ...). */
  readonly reason: string;
}

export function sendGoogleError(res: ServerResponse, error: GoogleApiError): void {
  const headers: Record<string, string> =
    error.status === 401 ? { 'WWW-Authenticate': 'Bearer realm="https://accounts.google.com/"' } : {};
  sendJson(
    res,
    error.status,
    {
      error: {
        code: error.status,
        message: error.message,
        errors: [
          {
            message: error.message,
            domain: 'global',
            reason: error.reason,
            ...(error.status === 401 ? { locationType: 'header', location: 'Authorization' } : {}),
          },
        ],
        ...(STATUS_TEXT[error.status] ? { status: STATUS_TEXT[error.status] } : {}),
      },
    },
    headers,
  );
}
