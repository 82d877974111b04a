/** Kubecost-shaped installations for kube-sim (the sandbox and the tests). */
export { installLayout, layoutSecretValues, LAYOUTS, LAYOUT_CLUSTERS, type InstalledLayout, type LayoutInstallation, type LayoutName, type InstallationLayout } from './layouts.js';
export { secretValuesOf, type FakeCredential } from './credentials.js';
