/** cloud-sim: emulated cloud data planes for tests and the sandbox. */
export { startCloudSim, type CloudSim, type CloudSimEndpoints, type CloudSimOptions } from './cloud-sim.js';
export { trustCredential, distrustCredential } from './trust.js';
export { AwsSim, type AwsKeyRecord, type AwsSimOptions } from './aws.js';
export { AzureSim, randomAzureKey, type AzureKeySlot } from './azure.js';
export { AzureControlPlane, ARM_ACTIONS, type ServicePrincipal } from './azure-arm.js';
export { IamStore, ACCESS_KEYS_PER_USER, type DenyRule, type IamKey, type IamUser } from './aws-iam.js';
export { KEY_ACTIVITY_PERMISSION, KEYS_PER_SERVICE_ACCOUNT, mintServiceAccountKey } from './gcp-iam.js';
export { GcpSim, GOOGLE_TOKEN_URL, type GcpKeyRecord } from './gcp.js';
export {
  cloudSimBackend,
  prepareCloudForLayout,
  provisionResources,
  type CloudSimBackend,
  type CloudSimBackendOptions,
  type CloudSimBackendStats,
} from './backend.js';
