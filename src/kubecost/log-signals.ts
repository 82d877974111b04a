/**
 * What Kubecost's logs say about a key: the wordings that mean a cloud refused it (reference §6
 * and §1.10, last part), and the lines that show a component took a new configuration. Matching
 * is on the provider's or Kubecost's wording, never on a line prefix: the `ingestor: build failed`
 * line also carries errors that are not about keys (`not found, ResolveEndpointV2`,
 * `InvalidRequestException`). Pure.
 */

/** A log wording and what it means. */
export interface LogPattern {
  readonly name: string;
  readonly pattern: RegExp;
}

/** A cloud's (or Kubecost's) "this key is not accepted", by wording. */
export const AUTH_FAILURE_PATTERNS: readonly LogPattern[] = [
  {
    name: 'AWS InvalidAccessKeyId',
    pattern: /InvalidAccessKeyId|Access Key Id you provided does not exist in our records/,
  },
  {
    name: 'AWS SignatureDoesNotMatch',
    pattern: /SignatureDoesNotMatch|request signature we calculated does not match/,
  },
  {
    name: 'AWS UnrecognizedClientException',
    pattern: /UnrecognizedClientException|security token included in the request is invalid/,
  },
  { name: 'AWS InvalidSignatureException', pattern: /InvalidSignatureException/ },
  { name: 'AWS AccessDenied', pattern: /\bAccessDenied\b|Access Denied/ },
  { name: 'Azure AuthenticationFailed', pattern: /AuthenticationFailed|Server failed to authenticate the request/ },
  { name: 'Azure AuthorizationFailure', pattern: /AuthorizationFailure/ },
  // opencost/opencost-helm-chart#374: RESPONSE 403 with this wording for a key without the rights.
  {
    name: 'Azure not authorized',
    pattern: /This request is not authorized to perform this operation using/,
  },
  // kubecost/kubecost#1411: an Azure client secret that is wrong or expired.
  { name: 'Azure AADSTS7000215', pattern: /AADSTS7000215/ },
  { name: 'GCP invalid_grant', pattern: /invalid_grant|Invalid JWT Signature/ },
  { name: 'GCP 401/403', pattern: /googleapi: Error 40[13]/ },
  { name: 'GCP API key not valid', pattern: /API key not valid|API_KEY_INVALID/ },
  // kubecost/kubecost#4568, #4413: 2.9/3.x store failures, logged at INF with no provider wording.
  {
    name: 'Kubecost ClusterStorage connection failure',
    pattern: /ClusterStorage: failed to connecting cluster storage/,
  },
];

/** Lines that show a component took (and uses) a new configuration. */
export const POSITIVE_SIGNALS: readonly LogPattern[] = [
  // opencost/opencost#2697: cloud-cost reloads a changed cloud-integration.json without a restart;
  // the reload deletes the old integration first (a fresh start only creates).
  {
    name: 'cloud-cost reloaded an integration',
    pattern: /CloudCost: IngestionManager: deleting integration with key/,
  },
  { name: 'Thanos shipped a block', pattern: /msg="(uploaded file|upload new block)"/ },
];

export interface LogFinding {
  readonly pattern: string;
  readonly count: number;
  /** The timestamp of the first matching line (kubelet timestamps), if any. */
  readonly firstAt?: string;
}

function scan(text: string, patterns: readonly LogPattern[]): LogFinding[] {
  const findings = new Map<string, { count: number; firstAt?: string }>();
  for (const line of text.split('\n')) {
    if (!line) continue;
    for (const p of patterns) {
      if (!p.pattern.test(line)) continue;
      const found = findings.get(p.name) ?? { count: 0 };
      found.count += 1;
      found.firstAt ??= /^(\S+Z)\s/.exec(line)?.[1];
      findings.set(p.name, found);
      break;
    }
  }
  return [...findings].map(([pattern, f]) => ({
    pattern,
    count: f.count,
    ...(f.firstAt ? { firstAt: f.firstAt } : {}),
  }));
}

/** Scans log text for auth failures: one finding per wording found, one count per line. */
export function scanLogForAuthFailures(text: string): LogFinding[] {
  return scan(text, AUTH_FAILURE_PATTERNS);
}

/** Scans log text for positive signals. */
export function scanLogForPositiveSignals(text: string): LogFinding[] {
  return scan(text, POSITIVE_SIGNALS);
}

/**
 * Whether the log shows cloud-cost reloading an integration live: a `deleting integration with
 * key K` followed later by `creating integration with key K` for the same key.
 */
export function reloadedIntegrations(text: string): string[] {
  const deleted = new Set<string>();
  const reloaded = new Set<string>();
  for (const line of text.split('\n')) {
    const m = /CloudCost: IngestionManager: (deleting|creating) integration with key:? (\S+)/.exec(line);
    if (!m) continue;
    const key = m[2] ?? '';
    if (m[1] === 'deleting') deleted.add(key);
    else if (deleted.has(key)) reloaded.add(key);
  }
  return [...reloaded];
}
