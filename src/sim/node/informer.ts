/**
 * List-then-watch of one collection on a real API server, as client-go's reflector does: a list
 * gives the starting resourceVersion and the full set (differences against what was known come
 * out as events), a watch carries on from there, a 410 Gone or a broken connection relists, and
 * failures back off. Events carry the newest object the server sent.
 */
import { ApiStatusError, type RestClient } from './rest.js';
import type { KubeObject } from '../kube/types.js';

export type InformerEvent = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface InformerOptions {
  readonly rest: RestClient;
  /** A collection path, e.g. /api/v1/pods or /api/v1/namespaces/x/secrets. */
  readonly path: string;
  readonly fieldSelector?: string;
  readonly onEvent: (type: InformerEvent, object: KubeObject) => void;
  /** Called after every list (the first one marks the informer synced). */
  readonly onListed?: () => void;
  /** A list or watch failed (the informer retries by itself). */
  readonly onError?: (error: unknown) => void;
}

function uidOf(o: KubeObject): string {
  return o.metadata.uid ?? `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;
}

export class Informer {
  private readonly known = new Map<string, KubeObject>();
  private readonly abort = new AbortController();
  private stopped = false;
  private retryMs = 200;

  constructor(private readonly options: InformerOptions) {}

  start(): void {
    void this.loop();
  }

  stop(): void {
    this.stopped = true;
    this.abort.abort();
  }

  private async loop(): Promise<void> {
    const { rest, path, fieldSelector } = this.options;
    while (!this.stopped) {
      try {
        const list = await rest.json<{ metadata?: { resourceVersion?: string }; items?: KubeObject[] }>('GET', path, {
          query: { fieldSelector },
          signal: this.abort.signal,
        });
        if (this.stopped) return;
        this.reconcile(list.items ?? []);
        this.options.onListed?.();
        this.retryMs = 200;
        let resourceVersion = list.metadata?.resourceVersion ?? '';
        // Watch from there until the server says the version is too old (relist) or the connection fails.
        for (;;) {
          let gone = false;
          await rest.watch(
            path,
            {
              fieldSelector,
              resourceVersion,
              allowWatchBookmarks: true,
              timeoutSeconds: 240 + Math.floor(Math.random() * 60),
            },
            (event) => {
              const object = event.object as KubeObject;
              if (event.type === 'ERROR') {
                gone = true;
                return;
              }
              if (object.metadata?.resourceVersion) resourceVersion = object.metadata.resourceVersion;
              if (event.type === 'BOOKMARK') return;
              if (event.type === 'DELETED') this.known.delete(uidOf(object));
              else this.known.set(uidOf(object), object);
              this.options.onEvent(event.type, object);
            },
            this.abort.signal,
          );
          if (this.stopped || gone) break;
        }
      } catch (error: unknown) {
        if (this.stopped) return;
        if (!(error instanceof ApiStatusError && error.code === 410)) this.options.onError?.(error);
        await new Promise((resolve) => setTimeout(resolve, this.retryMs).unref());
        this.retryMs = Math.min(this.retryMs * 2, 5000);
      }
    }
  }

  private reconcile(items: KubeObject[]): void {
    const seen = new Set<string>();
    for (const item of items) {
      const uid = uidOf(item);
      seen.add(uid);
      const before = this.known.get(uid);
      this.known.set(uid, item);
      if (!before) this.options.onEvent('ADDED', item);
      else if (before.metadata.resourceVersion !== item.metadata.resourceVersion)
        this.options.onEvent('MODIFIED', item);
    }
    for (const [uid, object] of [...this.known]) {
      if (seen.has(uid)) continue;
      this.known.delete(uid);
      this.options.onEvent('DELETED', object);
    }
  }
}
