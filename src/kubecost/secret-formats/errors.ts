/**
 * The one error type of the secret-format codecs. A message names the place (cluster, Secret,
 * data key, path inside the document, line and column) and what is wrong, never a value from the
 * Secret (DESIGN §4 invariants 5 and 6); the hint says what to do.
 */
import { ConfigError } from '../../shared/errors.js';

/** Where a Secret data value lives. Used only to name the place in messages. */
export interface SecretLocation {
  /** The cluster, as its kubeconfig context name. */
  readonly cluster: string;
  readonly namespace: string;
  /** The Secret's name. */
  readonly secret: string;
  /** The key under the Secret's `data`, for example `cloud-integration.json`. */
  readonly dataKey: string;
}

/** Why a Secret value was refused. */
export type SecretFormatErrorCode =
  /** The Secret has no `data` at all. */
  | 'EmptySecret'
  /** The Secret has data, but not under the expected data key. */
  | 'MissingDataKey'
  /** The data value is not valid standard base64. */
  | 'InvalidBase64'
  /** The decoded value is itself base64 of a JSON or YAML document: it was encoded twice. */
  | 'EncodedTwice'
  /** The value is empty, whitespace only, or (YAML) holds no document. */
  | 'EmptyValue'
  /** The value is larger than any Kubernetes Secret can be. */
  | 'ValueTooLarge'
  /** The value holds control bytes (NUL and the like): it is binary, not a text document. */
  | 'BinaryContent'
  /** The value is not valid UTF-8. */
  | 'InvalidUtf8'
  /** A JSON value starts with a UTF-8 byte order mark, which Go's JSON decoder refuses. */
  | 'ByteOrderMark'
  /** The value is not valid JSON (syntax), or is nested too deeply. */
  | 'InvalidJson'
  /** The value is not valid YAML (syntax, tabs as indentation, several documents). */
  | 'InvalidYaml'
  /** The YAML uses anchors or aliases, which this tool does not rewrite safely. */
  | 'YamlAliasUnsupported'
  /** The same key appears twice in one object or mapping (for Go's case-insensitive keys, in any case). */
  | 'DuplicateKey'
  /** A field has the wrong type, for example an object where a string belongs. */
  | 'WrongType'
  /** A field the consumer requires is missing or empty. */
  | 'MissingField'
  /** A field the consumer's strict parser refuses. */
  | 'UnknownField'
  /** Two fields that must not be set together are both set. */
  | 'ConflictingFields'
  /** `authorizerType` is not one Kubecost knows for that provider. */
  | 'UnknownAuthorizerType'
  /** An objstore `type` other than S3, GCS, AZURE or (Kubecost 3.x) cluster. */
  | 'UnknownObjstoreType'
  /** cloud-integration.json mixes the legacy (arrays) and nested (objects) formats. */
  | 'MixedFormats'
  /** Neither the data key nor the content tells which format this is. */
  | 'UnrecognizedFormat'
  /** A GCP service-account key is malformed (not JSON, not `service_account`, fields missing, not a PEM key). */
  | 'InvalidGcpKey'
  /** An Azure storage connection string is malformed. */
  | 'InvalidConnectionString'
  /** A GCP API key value is not `AIza` and 35 characters on one line. */
  | 'InvalidApiKey'
  /** A replacement credential is for another provider than the site's. */
  | 'ProviderMismatch'
  /** A replacement Azure key is for another storage account than the site's. */
  | 'AccountMismatch'
  /** A replacement credential is unusable (an empty field, a string that cannot be encoded). */
  | 'InvalidCredential'
  /** The site to replace is not in the value any more. */
  | 'SiteNotFound'
  /** The value changed since the site was read: the site's credential is not what the value holds now. */
  | 'StaleSite';

/** What a {@link SecretFormatError} is built from. */
export interface SecretFormatErrorInit {
  readonly code: SecretFormatErrorCode;
  readonly location: SecretLocation;
  /** Path inside the document, for example `aws.athena[0].authorizer`; `$` is the whole document. */
  readonly path?: string;
  /** 1-based line and column in the decoded value. */
  readonly line?: number;
  readonly column?: number;
  /** What is wrong, without any value from the Secret. */
  readonly problem: string;
  /** What to do; a default per code is used when absent. */
  readonly hint?: string;
}

/**
 * A Secret data value that cannot be read or rewritten. Carries the place as structured fields;
 * `message` and `hint` are safe to print (they contain no secret value). A {@link ConfigError},
 * so the CLI exits with code 2.
 */
export class SecretFormatError extends ConfigError {
  readonly code: SecretFormatErrorCode;
  readonly location: SecretLocation;
  readonly path: string | undefined;
  readonly line: number | undefined;
  readonly column: number | undefined;
  readonly problem: string;

  constructor(init: SecretFormatErrorInit) {
    super(`${describePlace(init)}: ${init.problem}`, init.hint ?? defaultHint(init.code, init.location));
    this.code = init.code;
    this.location = init.location;
    this.path = init.path;
    this.line = init.line;
    this.column = init.column;
    this.problem = init.problem;
  }
}

/** Names a place: `cluster "c", Secret "ns/name", key "k", at path (line L, column C)`. */
export function describePlace(place: {
  readonly location: SecretLocation;
  readonly path?: string | undefined;
  readonly line?: number | undefined;
  readonly column?: number | undefined;
}): string {
  const { cluster, namespace, secret, dataKey } = place.location;
  let text = `cluster "${cluster}", Secret "${namespace}/${secret}", key "${dataKey}"`;
  if (place.path !== undefined) text += `, at ${place.path}`;
  if (place.line !== undefined) {
    text += place.column !== undefined ? ` (line ${place.line}, column ${place.column})` : ` (line ${place.line})`;
  }
  return text;
}

/** The kubectl command that prints the decoded value, for hints. */
export function inspectCommand(location: SecretLocation): string {
  const key = location.dataKey.replaceAll('.', '\\.');
  return `kubectl --context ${location.cluster} -n ${location.namespace} get secret ${location.secret} -o jsonpath='{.data.${key}}' | base64 -d`;
}

function defaultHint(code: SecretFormatErrorCode, location: SecretLocation): string {
  const fixAndRetry = `Fix the value (see it with: ${inspectCommand(location)}), then run the command again.`;
  switch (code) {
    case 'EmptySecret':
    case 'MissingDataKey':
      return `Check that this is the Secret Kubecost is configured to read (kubectl --context ${location.cluster} -n ${location.namespace} describe secret ${location.secret}).`;
    case 'InvalidBase64':
    case 'EncodedTwice':
      return 'Kubernetes stores Secret data as standard base64; re-create the Secret with kubectl create secret generic --from-file, which encodes it for you.';
    case 'YamlAliasUnsupported':
      return `Write the values out in place of the anchors (&name) and aliases (*name), then run the command again (see the value with: ${inspectCommand(location)}).`;
    case 'ProviderMismatch':
    case 'AccountMismatch':
    case 'InvalidCredential':
      return 'Check the new key file: it must be a key of the same provider and account as the one being replaced.';
    case 'SiteNotFound':
    case 'StaleSite':
      return 'The Secret changed while this command ran. Run it again so that it reads the current value.';
    default:
      return fixAndRetry;
  }
}
