/**
 * Pod IPs from a node's pod CIDR, handed out round-robin and reused only after release, as the
 * host-local IPAM plugin does (the network and the first address, the bridge's, are never given).
 */
export interface PodIpAllocator {
  allocate(): string;
  release(ip: string): void;
}

function toNumber(ip: string): number {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255))
    throw new Error(`node agent: ${ip} is not an IPv4 address`);
  return ((parts[0] ?? 0) * 2 ** 24 + (parts[1] ?? 0) * 2 ** 16 + (parts[2] ?? 0) * 2 ** 8 + (parts[3] ?? 0)) >>> 0;
}

function toIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export class CidrPool implements PodIpAllocator {
  private readonly first: number;
  private readonly last: number;
  private next: number;
  private readonly used = new Set<number>();

  constructor(readonly cidr: string) {
    const match = /^([\d.]+)\/(\d+)$/.exec(cidr);
    const bits = Number(match?.[2]);
    if (!match || !(bits >= 8 && bits <= 30)) throw new Error(`node agent: pod CIDR ${cidr} is not an IPv4 /8../30`);
    const size = 2 ** (32 - bits);
    const base = toNumber(match[1] ?? '') - (toNumber(match[1] ?? '') % size);
    this.first = base + 2;
    this.last = base + size - 2;
    this.next = this.first;
  }

  allocate(): string {
    const count = this.last - this.first + 1;
    for (let i = 0; i < count; i++) {
      const candidate = this.first + ((this.next - this.first + i) % count);
      if (this.used.has(candidate)) continue;
      this.used.add(candidate);
      this.next = candidate + 1 > this.last ? this.first : candidate + 1;
      return toIp(candidate);
    }
    throw new Error(`node agent: pod CIDR ${this.cidr} has no free address (${count} in use)`);
  }

  release(ip: string): void {
    this.used.delete(toNumber(ip));
  }
}

/** kube-sim's addresses: 10.244.x.y counted up, never reused (its pods never reach a network). */
export class CountingPool implements PodIpAllocator {
  private n = 1;

  allocate(): string {
    const n = this.n++;
    return `10.244.${Math.floor(n / 250) % 250}.${(n % 250) + 1}`;
  }

  release(): void {}
}
