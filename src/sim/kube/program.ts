/**
 * The contract between kube-sim and the programs that run as containers. A program receives
 * what a real container would see at start (files from its volumes and its environment, as the
 * kubelet resolves them), writes log lines, may serve HTTP (reached through services/proxy),
 * and is stopped through `signal` when its pod terminates.
 */
export interface ProxyRequest {
  readonly method: string;
  /** The path after `/proxy`, always starting with '/'. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

export interface ProxyResponse {
  status: number;
  headers?: Record<string, string>;
  /** A string or bytes is sent as is; anything else as JSON. */
  body?: unknown;
}

export type HttpHandler = (request: ProxyRequest) => ProxyResponse | Promise<ProxyResponse>;

export interface ContainerContext {
  readonly cluster: string;
  readonly namespace: string;
  readonly podName: string;
  readonly container: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Environment as resolved at container start (never changes afterwards, as in a real container). */
  readonly env: Readonly<Record<string, string>>;
  /** Every file visible at container start: absolute path → bytes. */
  readonly files: ReadonlyMap<string, Buffer>;
  /** A file as the container sees it now: volume mounts follow Secret updates after the kubelet sync delay; subPath mounts never change. */
  readFile(path: string): Buffer | undefined;
  /** Absolute paths of the files visible now. */
  listFiles(): string[];
  /** Appends a line to the container log (served by pods/log). */
  log(line: string): void;
  /** Simulated now. */
  now(): Date;
  /** Runs `fn` every `ms` simulated milliseconds until the container stops. */
  every(ms: number, fn: () => void | Promise<void>): void;
  /** Runs `fn` once after `ms` simulated milliseconds unless the container stops first. */
  after(ms: number, fn: () => void | Promise<void>): void;
  /** Serves HTTP on a container port. */
  serve(port: number, handler: HttpHandler): void;
  /** Readiness probe outcome (default: ready once started and the ready latency has passed). */
  setReady(ready: boolean): void;
  /** Aborted when the container stops. */
  readonly signal: AbortSignal;
}

/**
 * A container's program. Throwing (or rejecting) at start makes the container exit with code 1,
 * and the kubelet restarts it with back-off (CrashLoopBackOff), as for a real process.
 */
export type ContainerProgram = (context: ContainerContext) => void | Promise<void>;

/** Which containers a program runs as. Every given field must match. */
export interface ProgramBinding {
  namespace?: string;
  /** Labels the pod must carry. */
  labels?: Record<string, string>;
  /** The owning workload, as 'Deployment/name' or 'StatefulSet/name'. */
  workload?: string;
  /** Container name; omitted means every container of matching pods. */
  container?: string;
  program: ContainerProgram;
}
