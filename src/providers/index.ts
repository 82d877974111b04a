/** Provider access: probes of the resources Kubecost reads, with sanitized errors. */
export { probe, ProbeMismatchError } from './probe.js';
export { probeAthena, probeS3, classifyAwsError } from './aws/probe.js';
export { probeBigQuery, probeGcs, classifyGcpError } from './gcp/probe.js';
export { probeAzureBlob, classifyAzureError } from './azure/probe.js';
export {
  sanitizeText,
  describeProviderError,
  secretForms,
  secretsOfDocument,
  type SanitizedError,
} from './sanitize.js';
export type * from './types.js';
