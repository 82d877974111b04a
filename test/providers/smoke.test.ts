import { it } from 'vitest';
import { startCloudSim, trustCredential } from '../../src/sim/cloud/index.js';
import { createAzureProvider } from '../../src/providers/azure/provider.js';
import { SecretValue } from '../../src/shared/secret-value.js';
import { azureStorageKey } from '../../src/sim/kubecost/credentials.js';
it('smoke', async () => {
  const sim = await startCloudSim();
  try {
    const old = azureStorageKey('acmeexports', 'key1');
    trustCredential(sim, old);
    const sp = sim.azureControl.createServicePrincipal();
    const p = createAzureProvider({ subscriptionId: sim.azureControl.subscriptionId, armEndpoint: sim.endpoints.azureArm, authorityHost: sim.endpoints.azureAuthority, caPem: sim.azureControl.caPem, blobEndpoint: sim.endpoints.azureBlob, credentials: { tenantId: sp.tenantId, clientId: sp.clientId, clientSecret: new SecretValue(sp.clientSecret) } });
    const s = AbortSignal.timeout(20000);
    const cred = { provider: 'azure' as const, accountName: old.accountName, accountKey: new SecretValue(old.accountKey) };
    const principal = await p.identify(cred, s);
    console.log(principal);
    const ins = await p.inspect(principal, [{ site: 'a', credential: cred }], s);
    console.log(JSON.stringify(ins));
    const k = await p.issue({ principal, replacing: ins.keys[0]!.ref }, s);
    console.log(k.ref);
    console.log(JSON.stringify(await p.prove({ principal, credential: k.credential, targets: [] }, s)));
    await p.delete(k.ref, s); await p.delete(k.ref, s);
    console.log(JSON.stringify(await p.prove({ principal, credential: k.credential, targets: [], retry: {attempts:1,firstDelayMs:1,maxDelayMs:1} }, s)));
    sim.azureControl.deny('Microsoft.Storage/storageAccounts/regenerateKey/action');
    await p.issue({ principal, replacing: ins.keys[0]!.ref }, s).catch(e => console.log(e.message, e.permission, e.kind));
  } finally { await sim.stop(); }
});
