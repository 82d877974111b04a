/** cloud-sim: emulated cloud data planes for tests and the sandbox. */
export { startCloudSim, type CloudSim, type CloudSimEndpoints, type CloudSimOptions } from './cloud-sim.js';
export { trustCredential, distrustCredential } from './trust.js';
export { AwsSim, type AwsKeyRecord } from './aws.js';
export { AzureSim, randomAzureKey, type AzureKeySlot } from './azure.js';
export { GcpSim, GOOGLE_TOKEN_URL, type GcpKeyRecord } from './gcp.js';
export {
  cloudSimBackend,
  prepareCloudForLayout,
  type CloudSimBackend,
  type CloudSimBackendOptions,
  type CloudSimBackendStats,
} from './backend.js';
