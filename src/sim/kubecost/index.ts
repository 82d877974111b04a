/** Kubecost-shaped installations for kube-sim (the sandbox and the tests). */
export {
  installLayout,
  isLayoutName,
  layoutSecretValues,
  renderLayout,
  LAYOUTS,
  LAYOUT_CLUSTERS,
  LAYOUT_DESCRIPTIONS,
  type InstalledLayout,
  type LayoutInstallation,
  type LayoutName,
  type InstallationLayout,
  type RenderedLayout,
  type RenderOptions,
} from './layouts.js';
export { secretValuesOf, type FakeCredential } from './credentials.js';
export {
  bindKubecostPrograms,
  parseObjstore,
  parseStoreConfig,
  parseCloudIntegration,
  type ProgramOptions,
} from './programs.js';
export {
  memoryBackend,
  withGcpPricing,
  CloudCallError,
  type CloudBackend,
  type MemoryKeys,
  type ObjectStoreAccess,
} from './backend.js';
export {
  awsAccessKey as fakeAwsKey,
  gcpServiceAccountKey as fakeGcpKey,
  azureStorageKey as fakeAzureKey,
  gcpApiKey as fakeGcpApiKey,
} from './credentials.js';
export { startSandbox, sandboxStatePath, sandboxEndpointsPath, type Sandbox, type SandboxState } from './sandbox.js';
export { successorOf, matchesCredential } from './credentials.js';
export { revertOwnedSecrets, revertingOwnerOf, type OwnerRevertOptions } from './owners.js';
