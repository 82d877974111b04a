/**
 * Every label and annotation name kubecost-rotate writes or reads on cluster objects, defined
 * once (style guide §B). Names under `kubecost-rotate.io/` are ours; the others are Kubernetes'.
 */

/** The label every object kubecost-rotate creates carries (journals, Leases). */
export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
/** The value of {@link LABEL_MANAGED_BY} on our objects. */
export const MANAGED_BY = 'kubecost-rotate';
/** Selects every object kubecost-rotate created. */
export const MANAGED_BY_SELECTOR = `${LABEL_MANAGED_BY}=${MANAGED_BY}`;

/** Label of a journal: the rotation it records. */
export const LABEL_ROTATION = 'kubecost-rotate.io/rotation-id';
/** Label of a journal: its phase, so `kubectl get secret -L` shows it. */
export const LABEL_PHASE = 'kubecost-rotate.io/phase';

/** Annotation on a written Secret: the rotation that wrote it. */
export const ANNOTATION_ROTATION = 'kubecost-rotate.io/rotation-id';
/** Annotation on a written Secret: the fingerprint of the key it now holds. */
export const ANNOTATION_FINGERPRINT = 'kubecost-rotate.io/key-fingerprint';
/** Pod-template annotation of a restart: the restart token (the rotation id, or `<id>-rollback`). */
export const ANNOTATION_RESTART = 'kubecost-rotate.io/restart';
/** Annotation on a journal or Lease: the credential it is about. */
export const ANNOTATION_CREDENTIAL = 'kubecost-rotate.io/credential';
/** Annotation on a journal: the fingerprint of the new key. */
export const ANNOTATION_NEW_KEY_FINGERPRINT = 'kubecost-rotate.io/new-key-fingerprint';
/**
 * Annotation set and removed again on a Secret whose write may still land late: each change bumps
 * its resourceVersion, so a late write (which carries the old one) fails with 409 Conflict.
 */
export const ANNOTATION_FENCE = 'kubecost-rotate.io/fence';

/** kubectl's own restart annotation (`kubectl rollout restart`). */
export const ANNOTATION_KUBECTL_RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';
