/**
 * Where kube-sim knowingly answers differently from the real v1.34.4 API server, each with why.
 * A case listed here that starts to match fails the suite, so the list stays true. Cases that
 * differ only while a sender is being fixed are not here: they are PENDING_PRODUCT_FIXES in
 * src/sim/kube/pending.ts, and the suite holds kube-sim's strict behaviour to the real one.
 */
export const KNOWN_DIFFERENCES: Readonly<Record<string, string>> = {};

/**
 * What kube-sim does not model at all, so no case can compare it. Reported with the table.
 */
export const UNMODELLED: readonly { readonly what: string; readonly why: string }[] = [
  {
    what: 'managedFields of controller writes, `.` entries of struct fields, list keys beyond the common ones',
    why: 'server-side apply and Update records are implemented for the shapes the tool, the layouts and kubectl use (maps, keyed lists, sets); the full structured-merge-diff schema is not',
  },
  {
    what: 'aggregated discovery (apidiscovery.k8s.io/v2)',
    why: 'kubectl falls back to the legacy /api and /apis documents kube-sim serves',
  },
  {
    what: 'Table column descriptions',
    why: "they are the Go types' swagger docs; kubectl never prints them",
  },
  {
    what: 'watch bookmarks and sendInitialEvents (WatchList)',
    why: 'neither the tool nor kubectl asks for them',
  },
  {
    what: 'the batch.kubernetes.io/job-tracking pod finalizer',
    why: "kube-sim's kubelet removes finished pods itself",
  },
  {
    what: 'Service ClusterIP allocation from the service CIDR, node ports, load balancers',
    why: 'a random address in 10.96.0.0/12 is allocated; nothing routes to it',
  },
  {
    what: 'pod scheduling',
    why: "kube-sim's kubelet runs every pod on its one node; DaemonSets count Node objects, or that one node when there are none",
  },
];
