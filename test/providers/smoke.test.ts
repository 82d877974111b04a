import { it, expect } from 'vitest';
import { startCloudSim, trustCredential } from '../../src/sim/cloud/index.js';
import { createGcpProvider } from '../../src/providers/gcp/provider.js';
import { SecretValue } from '../../src/shared/secret-value.js';
import { gcpServiceAccountKey } from '../../src/sim/kubecost/credentials.js';
it('smoke', async () => {
  const sim = await startCloudSim();
  try {
    const old = gcpServiceAccountKey('kubecost', 'acme');
    trustCredential(sim, old);
    const admin = sim.gcp.createAdmin('acme');
    const p = createGcpProvider({ iamEndpoint: sim.endpoints.gcs, tokenUrl: sim.endpoints.gcpToken, credentials: { provider: 'gcp', keyJson: new SecretValue(admin.keyJson) } });
    const s = AbortSignal.timeout(20000);
    const principal = await p.identify({ provider: 'gcp', keyJson: new SecretValue(old.json) }, s);
    const ins = await p.inspect(principal, [{ site: 'a', credential: { provider: 'gcp', keyJson: new SecretValue(old.json) } }], s);
    console.log(JSON.stringify(ins));
    const k = await p.issue({ principal, replacing: ins.keys[0]!.ref }, s);
    console.log(k.ref.keyId);
    const proof = await p.prove({ principal, credential: k.credential, targets: [] }, s);
    console.log(JSON.stringify(proof));
    await p.deactivate(k.ref, s);
    console.log(JSON.stringify(await p.prove({ principal, credential: k.credential, targets: [], retry: { attempts: 1, firstDelayMs: 1, maxDelayMs: 1 } }, s)));
    await p.reactivate(k.ref, s);
    await p.delete(k.ref, s); await p.delete(k.ref, s);
    sim.gcp.deny('iam.serviceAccountKeys.create');
    console.log(JSON.stringify((await p.inspect(principal, [], s)).permissions));
    await p.issue({ principal, replacing: ins.keys[0]!.ref }, s).catch(e => console.log(e.message, e.permission, e.kind));
    sim.gcp.allow();
    for (let i = 0; i < 9; i++) await p.issue({ principal, replacing: ins.keys[0]!.ref }, s);
    await p.issue({ principal, replacing: ins.keys[0]!.ref }, s).catch(e => console.log(e.message, e.kind));
  } finally { await sim.stop(); }
});
