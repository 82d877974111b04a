/**
 * metav1.Status bodies shaped like the real API server's, thrown as ApiError inside the
 * simulator and written as the response body by the server.
 */
export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  causes?: { reason: string; message: string; field?: string }[];
  retryAfterSeconds?: number;
  uid?: string;
}

export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
  }

  toStatus(): object {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      // StatusReasonUnknown is "" and omitted, as for errors that are not API statuses (500s).
      ...(this.reason ? { reason: this.reason } : {}),
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }
}

function groupPrefix(group: string, plural: string): string {
  return group ? `${plural}.${group}` : plural;
}

export const errors = {
  notFound: (group: string, plural: string, name: string) =>
    new ApiError(404, 'NotFound', `${groupPrefix(group, plural)} "${name}" not found`, {
      name,
      ...(group ? { group } : {}),
      kind: plural,
    }),
  alreadyExists: (group: string, plural: string, name: string) =>
    new ApiError(409, 'AlreadyExists', `${groupPrefix(group, plural)} "${name}" already exists`, {
      name,
      ...(group ? { group } : {}),
      kind: plural,
    }),
  conflict: (group: string, plural: string, name: string) =>
    new ApiError(
      409,
      'Conflict',
      `Operation cannot be fulfilled on ${groupPrefix(group, plural)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
      { name, ...(group ? { group } : {}), kind: plural },
    ),
  invalid: (
    group: string,
    kind: string,
    name: string,
    causes: readonly { field: string; message: string; reason?: string }[],
  ) => {
    const text = causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message));
    return new ApiError(
      422,
      'Invalid',
      `${kind}${group ? `.${group}` : ''} "${name}" is invalid: ${text.length === 1 ? text[0] : `[${text.join(', ')}]`}`,
      {
        ...(name ? { name } : {}),
        ...(group ? { group } : {}),
        kind,
        causes: causes.map((c) => ({ reason: c.reason ?? 'FieldValueInvalid', message: c.message, field: c.field })),
      },
    );
  },
  /** A PATCH whose content type is no patch type: the generic 415 of the patch handler. */
  unsupportedPatchType: () => new ApiError(415, 'UnsupportedMediaType', '415: Unsupported Media Type', {}),
  badRequest: (message: string) => new ApiError(400, 'BadRequest', message),
  /** As the authorization filter writes it: the message names resource/subresource, details the resource. */
  forbidden: (
    user: string,
    verb: string,
    group: string,
    resource: string,
    subresource: string | undefined,
    namespace: string | undefined,
    name: string | undefined,
  ) =>
    new ApiError(
      403,
      'Forbidden',
      `${name ? `${groupPrefix(group, resource)} "${name}"` : groupPrefix(group, resource)} is forbidden: User "${user}" cannot ${verb} resource "${subresource ? `${resource}/${subresource}` : resource}" in API group "${group}" ${namespace ? `in the namespace "${namespace}"` : 'at the cluster scope'}`,
      { ...(name ? { name } : {}), ...(group ? { group } : {}), kind: resource },
    ),
  unauthorized: () => new ApiError(401, 'Unauthorized', 'Unauthorized'),
  unsupportedMediaType: (contentType: string, accepted: readonly string[]) =>
    new ApiError(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
    ),
  methodNotAllowed: (verb: string, what: string) => {
    void verb;
    void what;
    return new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {});
  },
  gone: (message: string) => new ApiError(410, 'Expired', message),
  serviceUnavailable: (message: string) => new ApiError(503, 'ServiceUnavailable', message),
  internal: (message: string) => new ApiError(500, 'InternalError', `Internal error occurred: ${message}`),
  /** An error that is not a metav1.Status (ErrorToAPIStatus's default case): 500, no reason, the raw text. */
  unknown: (message: string) => new ApiError(500, '', message),
  /** The 422 apierrors.NewGenericServerResponse gives (JSON patch failures): the detail is not kept. */
  genericInvalid: () =>
    new ApiError(422, 'Invalid', 'the server rejected our request due to an error in our request', {}),
  namespaceTerminating: (group: string, plural: string, name: string, namespace: string) =>
    new ApiError(
      403,
      'Forbidden',
      `${groupPrefix(group, plural)} "${name}" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`,
      {
        name,
        ...(group ? { group } : {}),
        kind: plural,
        causes: [
          {
            reason: 'NamespaceTerminating',
            message: `namespace ${namespace} is being terminated`,
            field: 'metadata.namespace',
          },
        ],
      },
    ),
} as const;

/** The reason a real API server gives for a status code, for injected faults. */
export function reasonForCode(code: number): string {
  const reasons: Record<number, string> = {
    400: 'BadRequest',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'NotFound',
    405: 'MethodNotAllowed',
    409: 'Conflict',
    410: 'Expired',
    415: 'UnsupportedMediaType',
    422: 'Invalid',
    429: 'TooManyRequests',
    500: 'InternalError',
    503: 'ServiceUnavailable',
    504: 'Timeout',
  };
  return reasons[code] ?? 'Unknown';
}
