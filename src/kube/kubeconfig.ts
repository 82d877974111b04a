/**
 * Loading a kubeconfig and choosing the clusters (contexts) a command works on, with kubectl's
 * rules: --kubeconfig, else $KUBECONFIG, else ~/.kube/config; --context repeatable; --all-contexts.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { existsSync, readFileSync } from 'node:fs';
import type { Agent } from 'node:http';
import { createSecureContext, type SecureContext } from 'node:tls';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { parse } from 'yaml';
import { ConfigError } from '../shared/errors.js';

export interface ContextSelection {
  readonly kubeconfig?: string;
  /** Where $KUBECONFIG is read from (default: this process's environment). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly contexts?: readonly string[];
  readonly allContexts?: boolean;
}

/** One cluster to talk to: a KubeConfig pinned to one context (client-node reads credentials from the current context on every request). */
export interface ClusterTarget {
  readonly name: string;
  readonly config: KubeConfig;
  /** The context's default namespace, if it sets one. */
  readonly namespace?: string;
}

function kubeconfigPaths(explicit: string | undefined, env: Readonly<Record<string, string | undefined>>): string[] {
  if (explicit) return [explicit];
  const fromEnv = env.KUBECONFIG;
  if (fromEnv) return fromEnv.split(delimiter).filter(Boolean);
  return [join(homedir(), '.kube', 'config')];
}

export function loadKubeConfig(
  explicit?: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): KubeConfig {
  const paths = kubeconfigPaths(explicit, env);
  const existing = paths.filter((p) => existsSync(p));
  if (existing.length === 0) {
    throw new ConfigError(
      `no kubeconfig found (looked at ${paths.join(', ')}).`,
      'Pass --kubeconfig PATH, set KUBECONFIG, or try the simulated fleet: kubecost-rotate sandbox up --layout v2-federated --kubeconfig /tmp/kc.yaml',
    );
  }
  const merged = new KubeConfig();
  try {
    // Several files merge as kubectl does: the first file to define a name wins.
    const configs = existing.map((p) => {
      if (readFileSync(p, 'utf8').trim() === '')
        throw new ConfigError(
          `the kubeconfig ${p} is empty.`,
          'Point --kubeconfig (or KUBECONFIG) at a kubeconfig with clusters, users and contexts.',
        );
      const kc = new KubeConfig();
      kc.loadFromFile(p);
      if (kc.getContexts().length === 0 && kc.getClusters().length === 0)
        throw new ConfigError(
          `the kubeconfig ${p} holds no clusters and no contexts.`,
          'Point --kubeconfig (or KUBECONFIG) at a kubeconfig with clusters, users and contexts.',
        );
      return kc;
    });
    const first = configs[0] as KubeConfig;
    merged.loadFromOptions({
      clusters: uniqueBy(
        configs.flatMap((c) => c.getClusters()),
        (c) => c.name,
      ),
      users: uniqueBy(
        configs.flatMap((c) => c.getUsers()),
        (u) => u.name,
      ),
      contexts: uniqueBy(
        configs.flatMap((c) => c.getContexts()),
        (c) => c.name,
      ),
      currentContext: first.getCurrentContext(),
    });
  } catch (error: unknown) {
    if (error instanceof ConfigError) throw error;
    // client-node reads a YAML document that is not a kubeconfig with a TypeError: say what is wrong instead.
    const why =
      error instanceof TypeError
        ? 'it is not a kubeconfig (no clusters, users and contexts)'
        : error instanceof Error
          ? (error.message.split('\n')[0] ?? '')
          : String(error);
    throw new ConfigError(`the kubeconfig ${existing.join(', ')} could not be read: ${why}`);
  }
  return merged;
}

/**
 * The value of a top-level kubeconfig extension (`extensions: [{name, extension}]`), from the first
 * file of the selection that has it, as kubectl merges: undefined when none does. A file that does
 * not parse has no extension here (loading it reports the error).
 */
export function kubeconfigExtension(selection: ContextSelection, name: string): unknown {
  for (const path of kubeconfigPaths(selection.kubeconfig, selection.env ?? process.env)) {
    if (!existsSync(path)) continue;
    let doc: unknown;
    try {
      doc = parse(readFileSync(path, 'utf8'));
    } catch {
      continue;
    }
    const extensions = (doc as { extensions?: unknown } | null)?.extensions;
    if (!Array.isArray(extensions)) continue;
    const found = (extensions as { name?: unknown; extension?: unknown }[]).find((e) => e?.name === name);
    if (found) return found.extension;
  }
  return undefined;
}

function uniqueBy<T>(items: T[], key: (item: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const k = key(item);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** The names of the contexts the flags select: named contexts, all of them, or the current one. */
function selectedNames(kc: KubeConfig, selection: ContextSelection): string[] {
  const available = kc.getContexts().map((c) => c.name);
  let names: string[];
  if (selection.allContexts) names = available;
  else if (selection.contexts && selection.contexts.length > 0) {
    const unknown = selection.contexts.filter((c) => !available.includes(c));
    if (unknown.length > 0)
      throw new ConfigError(
        `context ${unknown.map((u) => `"${u}"`).join(', ')} not found in the kubeconfig (it has: ${available.join(', ') || 'none'}).`,
      );
    names = [...new Set(selection.contexts)];
  } else {
    const current = kc.getCurrentContext();
    if (!current || !available.includes(current))
      throw new ConfigError('the kubeconfig has no current context.', 'Pass --context NAME or --all-contexts.');
    names = [current];
  }
  if (names.length === 0) throw new ConfigError('the kubeconfig has no contexts.');
  return names;
}

function targetOf(kc: KubeConfig, name: string): ClusterTarget {
  // Each target holds only its own cluster, user and context: a fleet's kubeconfig copied
  // into every target would cost memory quadratic in the number of clusters.
  const context = kc.getContextObject(name);
  const cluster = context ? kc.getCluster(context.cluster) : null;
  const user = context?.user ? kc.getUser(context.user) : null;
  if (!context || !cluster)
    throw new ConfigError(
      `context "${name}" in the kubeconfig names cluster "${context?.cluster ?? ''}", which the kubeconfig does not define.`,
    );
  const config = withKeepAlive(new KubeConfig());
  config.loadFromOptions({
    clusters: [cluster],
    users: user ? [user] : [],
    contexts: [context],
    currentContext: name,
  });
  return { name, config, ...(context.namespace ? { namespace: context.namespace } : {}) };
}

/** The clusters selected by the flags: named contexts, all of them, or the current one. */
export function selectClusters(selection: ContextSelection): ClusterTarget[] {
  const kc = loadKubeConfig(selection.kubeconfig, selection.env);
  return selectedNames(kc, selection).map((name) => targetOf(kc, name));
}

/** The contexts of the kubeconfig the flags leave out: the clusters to talk to, and those that cannot be (and why). */
export interface UnselectedContexts {
  readonly targets: readonly ClusterTarget[];
  readonly invalid: readonly { readonly name: string; readonly reason: string }[];
}

/**
 * The contexts of the same kubeconfig outside the selection (none with --all-contexts). A context
 * that reaches the API server of a selected one (another user or namespace on the same cluster) is
 * not outside it. A context the kubeconfig does not define completely is in `invalid` rather than
 * an error: it is not one the command works on.
 */
export function unselectedContexts(selection: ContextSelection): UnselectedContexts {
  const kc = loadKubeConfig(selection.kubeconfig, selection.env);
  const selected = new Set(selectedNames(kc, selection));
  const serverOf = (name: string) => {
    const context = kc.getContextObject(name);
    return context ? kc.getCluster(context.cluster)?.server : undefined;
  };
  const selectedServers = new Set([...selected].map(serverOf).filter((s) => s !== undefined));
  const targets: ClusterTarget[] = [];
  const invalid: { name: string; reason: string }[] = [];
  for (const { name } of kc.getContexts()) {
    if (selected.has(name)) continue;
    const server = serverOf(name);
    if (server !== undefined && selectedServers.has(server)) continue;
    try {
      targets.push(targetOf(kc, name));
    } catch (error: unknown) {
      if (!(error instanceof ConfigError)) throw error;
      invalid.push({ name, reason: error.message });
    }
  }
  return { targets, invalid };
}

type AgentFactory = (cluster: unknown, options: Record<string, unknown>) => Agent;

const pools = new WeakMap<KubeConfig, Map<string, Agent>>();

/** Closes the idle connections of a KubeConfig made by withKeepAlive (idle sockets never hold the process open anyway). */
export function releaseConnections(config: KubeConfig): void {
  for (const agent of pools.get(config)?.values() ?? []) agent.destroy();
  pools.get(config)?.clear();
}

/**
 * Makes a KubeConfig reuse its connections. client-node 1.4 builds a new https.Agent for every
 * request (kubernetes-client/javascript#2893), so each call pays a TLS handshake; against a fleet
 * that is most of the CPU. This keeps one keep-alive agent per distinct set of TLS options, built by
 * client-node's own factory (proxies, client certificates and CA handling stay as they are).
 *
 * Why client-node stays at 1.4 (measured 2026-12 on kube-sim, loopback TLS, Node 24): 2.0.1 sends
 * through undici and makes a new dispatcher per request, so 300 sequential reads cost 300 TLS
 * handshakes (7.6 ms a call, against 0.9-1.1 ms with this agent); caching its dispatchers the same
 * way leaves 3.8-5.4 ms a call and one connection per parallel call (299 handshakes for 300, as
 * createDispatcher exposes no connection cap), and 50-70 MiB more memory. Abort, TLS from the
 * kubeconfig and error mapping worked with it (network errors read "fetch failed", the reason in
 * their cause, which toKubeError reads).
 */
export function withKeepAlive(config: KubeConfig): KubeConfig {
  const target = config as unknown as { createAgent: AgentFactory };
  const original = target.createAgent.bind(config);
  const agents = new Map<string, Agent>();
  pools.set(config, agents);
  target.createAgent = (cluster, options) => {
    // The options as a string: the same on every request of one call path (a few KB: the CA, a client certificate).
    const key = JSON.stringify([
      cluster,
      Object.entries(options)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, Buffer.isBuffer(v) ? v.toString('base64') : String(v)]),
    ]);
    let agent = agents.get(key);
    if (!agent) {
      agent = original(cluster, { ...options, ...sharedTls(cluster, options), keepAlive: true, maxSockets: 16 });
      agents.set(key, agent);
    }
    return agent;
  };
  return config;
}

/**
 * One TLS context for every connection of an agent: without it, each new connection parses the CA
 * and the client certificate again (`tls.connect` builds a SecureContext per socket). Not through
 * a proxy, whose agents build their own connections.
 */
function sharedTls(cluster: unknown, options: Record<string, unknown>): { secureContext?: SecureContext } {
  if ((cluster as { proxyUrl?: string } | null)?.proxyUrl) return {};
  const names = ['ca', 'cert', 'key', 'pfx', 'passphrase', 'ciphers', 'honorCipherOrder', 'ecdhCurve', 'crl'];
  names.push('dhparam', 'secureOptions', 'secureProtocol', 'sessionIdContext');
  const tlsOptions = Object.fromEntries(names.filter((n) => options[n] !== undefined).map((n) => [n, options[n]]));
  // Clusters whose kubeconfig entries share a CA and a client certificate share the context too.
  const key = JSON.stringify(
    Object.entries(tlsOptions).map(([k, v]) => [k, Buffer.isBuffer(v) ? v.toString('base64') : String(v)]),
  );
  let context = contexts.get(key);
  if (!context) {
    context = createSecureContext(tlsOptions);
    contexts.set(key, context);
  }
  return { secureContext: context };
}

/** The TLS contexts made so far, by their options (one per distinct CA and client certificate of the kubeconfig). */
const contexts = new Map<string, SecureContext>();
