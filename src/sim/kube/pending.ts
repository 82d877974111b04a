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
export const PENDING_PRODUCT_FIXES: Readonly<Record<string, { readonly issue: string; readonly sender: string }>> = {
  // 'lease-microtime-three-digits' was fixed by the Lease's MicroTime form (issue 7 §6); none is pending now.
};

export type PendingFix = string;

export function allPendingFixes(): Set<PendingFix> {
  return new Set(Object.keys(PENDING_PRODUCT_FIXES) as PendingFix[]);
}
