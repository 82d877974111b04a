/**
 * Provider access: one contract per provider (inspect, issue, prove, deactivate, reactivate,
 * delete, evidence), pure capability checks for `plan`, sanitized ProviderErrors, and the direct
 * probes of the resources Kubecost reads.
 */
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
export {
  ProviderError,
  PROVIDER_ERROR_KINDS,
  providerErrorFrom,
  type ErrorClassifier,
  type ProviderErrorFields,
  type ProviderErrorKind,
} from './errors.js';
export {
  preflight,
  operationsFor,
  retireStepsFor,
  type Preflight,
  type PreflightRequest,
  type PreflightStep,
  type Refusal,
  type RefusalKind,
} from './preflight.js';
export {
  proveKey,
  checkIdentity,
  awsCallerIdentity,
  azureBlobUrl,
  realClock,
  DEFAULT_PROOF_RETRY,
  type IdentityEndpoints,
} from './prove.js';
export { createAwsProvider, awsCapabilities, awsErrors, parseUserArn, type AwsProviderConfig } from './aws/provider.js';
export { createGcpProvider, gcpCapabilities, gcpErrors, type GcpProviderConfig } from './gcp/provider.js';
export {
  createAzureProvider,
  azureCapabilities,
  azureErrors,
  AZURE_PERMISSIONS,
  type AzureClientSecret,
  type AzureProviderConfig,
} from './azure/provider.js';
export {
  createManualProvider,
  manualCapabilities,
  keyIdOf,
  proveReplacement,
  type ManualProviderConfig,
  type ReplacementProof,
  type ReplacementProofRequest,
} from './manual/provider.js';
export {
  createProviderRegistry,
  providers,
  awsProviderFactory,
  gcpProviderFactory,
  azureProviderFactory,
  manualProviderFactory,
  type ProviderConfigs,
  type ProviderFactory,
  type ProviderRegistry,
} from './registry.js';
export {
  conformanceCases,
  caseContext,
  cleanUp,
  ConformanceFailure,
  ConformanceRecord,
  type ConformanceCase,
  type ConformanceWorld,
} from './conformance.js';
export type * from './types.js';
