/**
 * One simulated cluster: its own HTTPS port, CA and admin token, an object store, the workload
 * controllers and a kubelet, plus the test controls (users, deny rules, faults, pause).
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { Socket } from 'node:net';
import { AccessControl, FaultInjector } from './access.js';
import { ClusterApi } from './api.js';
import type { SimClock } from './clock.js';
import { Controllers } from './controllers.js';
import { Kubelet, type PodTiming } from './kubelet.js';
import { R } from './objects.js';
import { createRequestHandler, type RecordedRequest, type RequestStats } from './server.js';
import { ApiError } from './status.js';
import { ObjectStore } from './store.js';
import { createClusterCertificates } from './tls.js';
import { isRecord, type KubeObject } from './types.js';
import { resourceByKind } from './resources.js';

export interface ClusterOptions {
  readonly name: string;
  readonly clock: SimClock;
  readonly timing: PodTiming;
  readonly kubeletSyncDelayMs: number;
  /** How many recent requests to keep for assertions. */
  readonly requestLogLimit?: number;
  /** Store event history length (how far back a watch may start). */
  readonly historyLimit?: number;
}

export class SimCluster {
  readonly store: ObjectStore;
  readonly api: ClusterApi;
  readonly controllers: Controllers;
  readonly kubelet: Kubelet;
  readonly access = new AccessControl();
  readonly faults = new FaultInjector();
  readonly requests: RecordedRequest[] = [];
  /** Requests served: all of them, and by `verb resource` (`update secrets`, `watch deployments`). */
  readonly stats: RequestStats = { requests: 0, calls: new Map() };
  /** Bearer token of the cluster admin (written in the kubeconfig). */
  readonly adminToken = randomBytes(24).toString('base64url');
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private port = 0;
  caPem = '';

  private constructor(
    readonly name: string,
    private readonly options: ClusterOptions,
  ) {
    this.store = new ObjectStore(options.historyLimit);
    this.api = new ClusterApi(this.store, options.clock);
    this.controllers = new Controllers(this.api, options.clock);
    this.kubelet = new Kubelet(this.api, options.clock, name, options.timing, options.kubeletSyncDelayMs);
    this.access.addToken(this.adminToken, 'kubernetes-admin');
  }

  static async start(options: ClusterOptions): Promise<SimCluster> {
    const cluster = new SimCluster(options.name, options);
    for (const ns of ['default', 'kube-system', 'kube-public'])
      cluster.api.create(R.namespaces, undefined, { metadata: { name: ns } });
    cluster.controllers.start();
    cluster.kubelet.start();
    await cluster.listen();
    return cluster;
  }

  /** https://127.0.0.1:PORT */
  get url(): string {
    return `https://127.0.0.1:${this.port}`;
  }

  get clock(): SimClock {
    return this.options.clock;
  }

  private async listen(): Promise<void> {
    const certs = await createClusterCertificates(this.name);
    this.caPem = certs.caPem;
    this.api.clusterCaPem = certs.caPem;
    const server = createServer(
      { key: certs.keyPem, cert: certs.certPem, keepAlive: true },
      createRequestHandler({
        name: this.name,
        api: this.api,
        kubelet: this.kubelet,
        access: this.access,
        faults: this.faults,
        clock: this.options.clock,
        requests: this.requests,
        requestLogLimit: this.options.requestLogLimit ?? 2000,
        stats: this.stats,
        serverAddress: () => `127.0.0.1:${this.port}`,
      }),
    );
    server.keepAliveTimeout = 30_000;
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    this.port = typeof address === 'object' && address ? address.port : 0;
    this.server = server;
  }

  /** Adds a user with a fresh bearer token and returns the token. */
  addUser(user: string): string {
    const token = randomBytes(24).toString('base64url');
    this.access.addToken(token, user);
    return token;
  }

  /** Creates the object, or replaces it when it exists (a seeding helper that bypasses HTTP). */
  apply(object: KubeObject): KubeObject {
    const def = resourceByKind(String(object.kind));
    if (!def) throw new Error(`kube-sim: cannot apply kind ${String(object.kind)}`);
    const namespace = def.namespaced ? (object.metadata.namespace ?? 'default') : undefined;
    if (namespace && !this.store.peek(R.namespaces, undefined, namespace))
      this.api.create(R.namespaces, undefined, { metadata: { name: namespace } });
    try {
      return this.api.create(def, namespace, object);
    } catch (error: unknown) {
      if (!(error instanceof ApiError && error.reason === 'AlreadyExists')) throw error;
      const current = this.api.get(def, namespace, object.metadata.name ?? '');
      const next = { ...object, metadata: { ...object.metadata, resourceVersion: current.metadata.resourceVersion } };
      return this.api.update(def, namespace, object.metadata.name ?? '', isRecord(next) ? next : object);
    }
  }

  /** Stops serving: open connections (watches, follows) are cut, controllers and pods stop. */
  async stop(): Promise<void> {
    this.controllers.stop();
    this.kubelet.stop();
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    server.closeAllConnections();
    await closed;
  }
}
