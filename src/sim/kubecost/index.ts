/** Kubecost-shaped installations for kube-sim (the sandbox and the tests). */
export {
  installLayout,
  layoutSecretValues,
  LAYOUTS,
  LAYOUT_CLUSTERS,
  type InstalledLayout,
  type LayoutInstallation,
  type LayoutName,
  type InstallationLayout,
} from './layouts.js';
export { secretValuesOf, type FakeCredential } from './credentials.js';
export { bindKubecostPrograms, parseObjstore, parseCloudIntegration, type ProgramOptions } from './programs.js';
export {
  memoryBackend,
  CloudCallError,
  type CloudBackend,
  type MemoryKeys,
  type ObjectStoreAccess,
} from './backend.js';
export {
  awsAccessKey as fakeAwsKey,
  gcpServiceAccountKey as fakeGcpKey,
  azureStorageKey as fakeAzureKey,
} from './credentials.js';
export { startSandbox, sandboxStatePath, sandboxEndpointsPath, type Sandbox, type SandboxState } from './sandbox.js';
export { successorOf, matchesCredential } from './credentials.js';
