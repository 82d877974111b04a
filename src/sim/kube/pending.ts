/**
 * PENDING_PRODUCT_FIXES: the only places where kube-sim is knowingly more lenient than the real
 * API server, each because the code under test (the product, or a simulated layout) still sends
 * what the real server refuses. Each entry names the conformance case that shows the real
 * behaviour and the issue item that fixes the sender. kube-sim is lenient for that case only; the
 * conformance table reports it as a known difference "pending product fix", and the strict
 * behaviour is tested with the leniency switched off (`ClusterApi.lenient.clear()`).
 *
 * When a fix lands, delete its entry here: the conformance suite then holds kube-sim to the real
 * answer everywhere.
 */
export const PENDING_PRODUCT_FIXES = {
  'lease-microtime-three-digits': {
    issue: 'issue 7 §6 (the Lease): client-node 1.4 serialises a JS Date with 3 fractional digits',
    sender: 'src/rotation/lease.ts (acquireTime/renewTime)',
  },
} as const;

export type PendingFix = keyof typeof PENDING_PRODUCT_FIXES;

export function allPendingFixes(): Set<PendingFix> {
  return new Set(Object.keys(PENDING_PRODUCT_FIXES) as PendingFix[]);
}
