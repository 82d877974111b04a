/**
 * The Thanos objstore YAML of `federated-store.yaml` and `object-store.yaml` (reference §4):
 * top-level `type` (S3, GCS, AZURE), `config` and optional `prefix`, read as strictly as the
 * consumers' `yaml.UnmarshalStrict` does at the top level. A replacement rewrites only the
 * credential scalars, in their own style; comments, quoting and block scalars elsewhere stay.
 * Kubecost 3.x adds `type: cluster`, its keyless in-cluster store (reference §1.10): read as a
 * place with no credential, never as an error.
 */
import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  parseAllDocuments,
  visit,
  type Document,
  type Node,
  type Pair,
  type Scalar,
  type YAMLMap,
} from 'yaml';
import { readConnectionString, withAccountKey } from './azure-connection-string.js';
import { checkReplacementString, ValueContext, type Codec, type ParsedDocument, type ParsedSite } from './codec.js';
import { azureStorageAccountKey, awsAccessKey, gcpKeyFields, gcpKeyFromText, isGcpKeyProblem } from './credentials.js';
import type { SecretLocation } from './errors.js';
import { relayoutObjectText } from './json-doc.js';
import { checkAzureReplacement, expectGcpKeyFile, expectProvider } from './json-sites.js';
import { LineIndex } from './text.js';
import type { SiteFormat, SkippedEntry } from './types.js';
import { scalarEdit } from './yaml-scalar.js';

const TOP_LEVEL_KEYS = ['type', 'config', 'prefix'];
const TYPES = ['S3', 'GCS', 'AZURE'] as const;

/** A string-valued scalar field and where it is. */
interface ScalarField {
  readonly node: Scalar;
  readonly value: string;
  readonly path: string;
}

/** The objstore YAML codec. */
export const objstoreCodec: Codec = {
  family: 'objstore',
  parse(text: string, location: SecretLocation): ParsedDocument {
    const ctx: ValueContext = new ValueContext(location, text);
    const doc = readSingleDocument(ctx);
    if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null))
      ctx.fail('EmptyValue', 'the YAML document is empty');
    if (!isMap(doc.contents))
      ctx.fail('WrongType', `the document is ${describeNode(doc.contents)}, expected a mapping with type and config`, {
        path: '$',
        offset: rangeStart(doc.contents),
      });
    const root = doc.contents;
    for (const pair of root.items) {
      const key = keyName(ctx, pair, '$');
      if (!TOP_LEVEL_KEYS.includes(key)) {
        ctx.fail(
          'UnknownField',
          'unknown top-level field; the objstore format has only type, config and prefix, and Kubecost and Thanos refuse others',
          { path: key, offset: rangeStart(pair.key) },
        );
      }
    }
    const type = scalarField(ctx, root, 'type', '$');
    if (!type || type.value === '')
      ctx.fail('MissingField', 'required field "type" (S3, GCS or AZURE) is missing or empty', {
        path: '$',
        offset: rangeStart(root),
      });
    if (type.value.toLowerCase() === 'cluster') return readClusterStore(ctx, root);
    const kind = TYPES.find((t) => t === type.value.toUpperCase());
    if (!kind) {
      ctx.fail('UnknownObjstoreType', 'type is not S3, GCS, AZURE or cluster, the only stores Kubecost reads', {
        path: 'type',
        offset: rangeStart(type.node),
      });
    }
    scalarField(ctx, root, 'prefix', '$');
    const configPair = root.items.find((p) => isScalar(p.key) && p.key.value === 'config');
    const config = configPair?.value;
    if (!configPair || config === null || (isScalar(config) && config.value === null)) {
      ctx.fail('MissingField', 'required field "config" (the bucket and its credentials) is missing or empty', {
        path: '$',
        offset: rangeStart(root),
      });
    }
    if (!isMap(config))
      ctx.fail('WrongType', `config is ${describeNode(config)}, expected a mapping`, {
        path: 'config',
        offset: rangeStart(config as Node),
      });
    for (const pair of config.items) keyName(ctx, pair, 'config');
    const reader = { S3: readS3, GCS: readGcs, AZURE: readAzure }[kind];
    return { family: 'objstore', ...reader(ctx, config) };
  },
};

type Found = { sites: ParsedSite[]; skipped: SkippedEntry[] };

/**
 * `type: cluster`: the 3.x default store (the local-store Service). Its config names where the
 * store is and holds no credential; its fields are not checked (the reference does not record them).
 */
function readClusterStore(ctx: ValueContext, root: YAMLMap): ParsedDocument {
  const config = root.items.find((p) => isScalar(p.key) && p.key.value === 'config')?.value;
  if (config !== undefined && config !== null && !isMap(config) && !(isScalar(config) && config.value === null))
    ctx.fail('WrongType', `config is ${describeNode(config)}, expected a mapping`, {
      path: 'config',
      offset: rangeStart(config as Node),
    });
  return {
    family: 'objstore',
    sites: [],
    skipped: [
      {
        path: 'config',
        format: 'objstore-cluster',
        reason: 'NoCredential',
        detail: "type: cluster: Kubecost's in-cluster local store, which takes no credential",
      },
    ],
  };
}

function readS3(ctx: ValueContext, config: YAMLMap): Found {
  const format: SiteFormat = 'objstore-s3';
  const accessKey = scalarField(ctx, config, 'access_key', 'config');
  const secretKey = scalarField(ctx, config, 'secret_key', 'config');
  const sessionToken = scalarField(ctx, config, 'session_token', 'config');
  const sdkAuth = scalarField(ctx, config, 'aws_sdk_auth', 'config');
  if (!accessKey?.value && !secretKey?.value) {
    return {
      sites: [],
      skipped: [
        {
          path: 'config',
          format,
          provider: 'aws',
          reason: 'AmbientIdentity',
          detail: 'no access_key/secret_key: environment, instance role or IRSA credentials',
        },
      ],
    };
  }
  if (!accessKey?.value)
    ctx.fail('MissingField', 'secret_key is set but access_key is missing or empty', {
      path: 'config',
      offset: rangeStart(config),
    });
  if (!secretKey?.value)
    ctx.fail('MissingField', 'access_key is set but secret_key is missing or empty', {
      path: 'config',
      offset: rangeStart(config),
    });
  if (sdkAuth && sdkAuth.value.toLowerCase() === 'true') {
    ctx.fail('ConflictingFields', 'aws_sdk_auth and access_key are both set; they are mutually exclusive', {
      path: 'config.aws_sdk_auth',
      offset: rangeStart(sdkAuth.node),
    });
  }
  if (sessionToken?.value) {
    return {
      sites: [],
      skipped: [
        {
          path: 'config',
          format,
          provider: 'aws',
          reason: 'UnsupportedCredential',
          detail: 'session_token is set: temporary credentials, which expire on their own',
        },
      ],
    };
  }
  const inFlow = Boolean(config.flow);
  return {
    skipped: [],
    sites: [
      {
        site: {
          location: ctx.location,
          path: 'config',
          format,
          provider: 'aws',
          fields: ['access_key', 'secret_key'],
          credential: awsAccessKey(accessKey.value, secretKey.value),
        },
        edits(credential) {
          const c = expectProvider(ctx, credential, 'aws', 'config');
          return [
            ...scalarReplace(ctx, accessKey, c.accessKeyId, 'access key id', inFlow),
            ...scalarReplace(ctx, secretKey, c.secretAccessKey.reveal(), 'secret access key', inFlow),
          ];
        },
      },
    ],
  };
}

function readGcs(ctx: ValueContext, config: YAMLMap): Found {
  const format: SiteFormat = 'objstore-gcs';
  const serviceAccount = scalarField(ctx, config, 'service_account', 'config');
  if (!serviceAccount?.value.trim()) {
    return {
      sites: [],
      skipped: [
        {
          path: 'config',
          format,
          provider: 'gcp',
          reason: 'AmbientIdentity',
          detail: 'no service_account: Google application default credentials (workload identity)',
        },
      ],
    };
  }
  const credential = gcpKeyFromText(serviceAccount.value);
  if (isGcpKeyProblem(credential)) {
    const inner =
      credential.offset !== undefined ? new LineIndex(serviceAccount.value).at(credential.offset) : undefined;
    const where = inner ? ` (line ${inner.line}, column ${inner.column} of the key JSON)` : '';
    ctx.fail('InvalidGcpKey', `service_account must hold a service-account key JSON: ${credential.problem}${where}`, {
      path: serviceAccount.path,
      offset: rangeStart(serviceAccount.node),
    });
  }
  const inFlow = Boolean(config.flow);
  return {
    skipped: [],
    sites: [
      {
        site: {
          location: ctx.location,
          path: 'config',
          format,
          provider: 'gcp',
          fields: ['service_account'],
          credential,
        },
        edits(replacement) {
          const c = expectGcpKeyFile(ctx, replacement, 'config');
          const keyText = relayoutObjectText(
            ctx,
            serviceAccount.value,
            gcpKeyFields(c),
            'service-account key',
            serviceAccount.path,
          );
          return scalarReplace(ctx, serviceAccount, keyText, 'service-account key', inFlow);
        },
      },
    ],
  };
}

function readAzure(ctx: ValueContext, config: YAMLMap): Found {
  const format: SiteFormat = 'objstore-azure';
  const account = scalarField(ctx, config, 'storage_account', 'config');
  const key = scalarField(ctx, config, 'storage_account_key', 'config');
  const connection = scalarField(ctx, config, 'storage_connection_string', 'config');
  const clientSecret = scalarField(ctx, config, 'client_secret', 'config');
  const inFlow = Boolean(config.flow);
  if (key?.value && connection?.value) {
    ctx.fail('ConflictingFields', 'storage_account_key and storage_connection_string cannot both be set', {
      path: 'config',
      offset: rangeStart(config),
    });
  }
  if (key?.value) {
    if (!account?.value)
      ctx.fail('MissingField', 'storage_account_key is set but storage_account is missing or empty', {
        path: 'config',
        offset: rangeStart(config),
      });
    return {
      skipped: [],
      sites: [
        {
          site: {
            location: ctx.location,
            path: 'config',
            format,
            provider: 'azure',
            fields: ['storage_account_key'],
            credential: azureStorageAccountKey(account.value, key.value),
          },
          edits(credential) {
            const newKey = checkAzureReplacement(ctx, account.value, credential, 'config');
            return scalarReplace(ctx, key, newKey, 'storage account key', inFlow);
          },
        },
      ],
    };
  }
  if (connection?.value) {
    // thanos-io/objstore and OpenCost both require storage_account, connection string or not.
    if (!account?.value)
      ctx.fail(
        'MissingField',
        'storage_connection_string is set but storage_account is missing or empty; Kubecost and Thanos refuse an AZURE store without storage_account (storage_account_name is required but not configured)',
        { path: 'config', offset: rangeStart(config) },
        'Add storage_account: <the AccountName of the connection string> under config.',
      );
    const content = readConnectionString(connection.value);
    if (content.kind === 'invalid')
      ctx.fail('InvalidConnectionString', `the storage connection string is malformed: ${content.problem}`, {
        path: connection.path,
        offset: rangeStart(connection.node),
      });
    if (content.kind === 'no-account-key') {
      return {
        sites: [],
        skipped: [
          {
            path: 'config',
            format,
            provider: 'azure',
            reason: 'UnsupportedCredential',
            detail: 'the connection string has no AccountKey (a shared access signature, for example)',
          },
        ],
      };
    }
    return {
      skipped: [],
      sites: [
        {
          site: {
            location: ctx.location,
            path: 'config',
            format,
            provider: 'azure',
            fields: ['storage_connection_string'],
            credential: azureStorageAccountKey(content.accountName, content.accountKey),
          },
          edits(credential) {
            const newKey = checkAzureReplacement(ctx, content.accountName, credential, 'config');
            if (newKey.includes(';'))
              ctx.fail(
                'InvalidCredential',
                'the new storage account key contains ";" and cannot go into a connection string',
                { path: 'config' },
              );
            return scalarReplace(
              ctx,
              connection,
              withAccountKey(connection.value, newKey),
              'storage connection string',
              inFlow,
            );
          },
        },
      ],
    };
  }
  if (clientSecret?.value) {
    return {
      sites: [],
      skipped: [
        {
          path: 'config',
          format,
          provider: 'azure',
          reason: 'UnsupportedCredential',
          detail: 'client_secret: a service principal secret, not a storage account key',
        },
      ],
    };
  }
  return {
    sites: [],
    skipped: [
      {
        path: 'config',
        format,
        provider: 'azure',
        reason: 'AmbientIdentity',
        detail: 'no storage_account_key: managed identity or default Azure credentials',
      },
    ],
  };
}

function scalarReplace(ctx: ValueContext, field: ScalarField, value: string, what: string, inFlow: boolean) {
  if (field.value === value) return [];
  checkReplacementString(ctx, value, what, field.path);
  return scalarEdit(ctx.text, field.node, field.value, value, { inFlow });
}

/** Parses the one YAML document; syntax problems, several documents and anchors or aliases are refused. */
function readSingleDocument(ctx: ValueContext): Document.Parsed {
  const docs = parseAllDocuments(ctx.text, { prettyErrors: false, uniqueKeys: true, strict: true, version: '1.2' });
  const list = Array.isArray(docs) ? docs : [];
  const first = list[0];
  if (!first) ctx.fail('EmptyValue', 'the value holds no YAML document (only comments or markers)');
  for (const doc of list) {
    const error = doc.errors[0];
    if (error) {
      const offset = error.pos[0];
      if (error.code === 'DUPLICATE_KEY')
        ctx.fail(
          'DuplicateKey',
          'a key appears more than once in the same mapping',
          { offset },
          'Keep one of the two keys.',
        );
      ctx.fail('InvalidYaml', `not valid YAML: ${describeYamlError(error.code)}`, { offset });
    }
  }
  const second = list[1];
  if (second) {
    ctx.fail('InvalidYaml', `the value holds ${list.length} YAML documents (separated by ---); it must hold one`, {
      offset: second.range[0],
    });
  }
  let anchored: Node | undefined;
  visit(first, {
    Node(_key, node) {
      if (isAlias(node) || node.anchor) {
        anchored = node;
        return visit.BREAK;
      }
      return undefined;
    },
  });
  if (anchored) {
    ctx.fail(
      'YamlAliasUnsupported',
      'the YAML uses an anchor (&) or alias (*); this tool rewrites keys only where each value is written once',
      { offset: rangeStart(anchored) },
    );
  }
  return first;
}

function describeYamlError(code: string): string {
  switch (code) {
    case 'TAB_AS_INDENT':
      return 'a line is indented with a tab; YAML indentation must be spaces';
    case 'MISSING_CHAR':
      return 'a quote or bracket is not closed';
    case 'BAD_INDENT':
    case 'BLOCK_AS_IMPLICIT_KEY':
    case 'MULTILINE_IMPLICIT_KEY':
      return 'the indentation is inconsistent (a line is indented more or less than its neighbours)';
    default:
      return `the parser reports ${code.toLowerCase().replaceAll('_', ' ')}`;
  }
}

function keyName(ctx: ValueContext, pair: Pair, parentPath: string): string {
  if (!isScalar(pair.key) || typeof pair.key.value !== 'string') {
    ctx.fail('WrongType', 'a mapping key is not a plain string', {
      path: parentPath,
      offset: rangeStart(pair.key as Node),
    });
  }
  return pair.key.value;
}

/**
 * Reads a scalar field as Go's yaml decoder reads it into a string: absent or null gives
 * undefined; a plain number or boolean gives its text; a mapping, sequence or tagged value is
 * `WrongType`.
 */
function scalarField(ctx: ValueContext, map: YAMLMap, key: string, parentPath: string): ScalarField | undefined {
  const pair = map.items.find((p) => isScalar(p.key) && p.key.value === key);
  if (!pair) return undefined;
  const path = parentPath === '$' ? key : `${parentPath}.${key}`;
  const node = pair.value;
  if (node === null) return undefined;
  if (!isScalar(node))
    ctx.fail('WrongType', `${describeNode(node)} where a string belongs`, { path, offset: rangeStart(node as Node) });
  if (node.tag !== undefined && node.tag !== 'tag:yaml.org,2002:str' && node.tag !== '!') {
    ctx.fail('WrongType', 'the value has a YAML tag (!!…); write it as a plain or quoted string', {
      path,
      offset: rangeStart(node),
    });
  }
  if (node.value === null) return undefined;
  if (typeof node.value === 'string') return { node, value: node.value, path };
  if (typeof node.value === 'number' || typeof node.value === 'boolean' || typeof node.value === 'bigint') {
    const [start, end] = node.range ?? [0, 0];
    return { node, value: ctx.text.slice(start, end), path };
  }
  return ctx.fail('WrongType', 'a value of an unexpected kind where a string belongs', {
    path,
    offset: rangeStart(node),
  });
}

function describeNode(node: unknown): string {
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a sequence';
  if (isScalar(node))
    return node.value === null ? 'empty' : `a ${typeof node.value === 'string' ? 'string' : 'scalar'}`;
  return 'not a mapping';
}

function rangeStart(node: Node | null | undefined): number | undefined {
  return node?.range?.[0];
}
