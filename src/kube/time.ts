/** Kubernetes time formats that differ from JavaScript's. */

/**
 * A Date that serializes as a Kubernetes MicroTime: RFC 3339 with exactly six fractional digits
 * (`2026-12-01T10:00:00.123000Z`). Lease `acquireTime`/`renewTime` are MicroTime; a real
 * kube-apiserver answers 400 to the three digits of `Date.prototype.toISOString`. client-node
 * serializes a Date with its toISOString, so this one sends the right form.
 */
export class MicroTime extends Date {
  override toISOString(): string {
    return super.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
  }

  override toJSON(): string {
    return this.toISOString();
  }
}

export function microTime(date: Date): MicroTime {
  return new MicroTime(date.getTime());
}
