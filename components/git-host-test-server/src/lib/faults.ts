/** Fault kinds every host server understands; a host adds its own (rate-limit answers in its format). */
export type CommonFaultKind =
  | { readonly type: 'server-error'; readonly status: 500 | 502 | 503 }
  | { readonly type: 'latency'; readonly ms: number }
  /** The request takes effect, then the answer is replaced by a server error (a client retry must cope). */
  | { readonly type: 'error-after-effect'; readonly status: 500 | 502 | 503 }
  /** The connection is destroyed before any answer: the client sees a reset socket, not an HTTP status. */
  | { readonly type: 'cut-connection' }
  /** The request takes effect, then the connection is destroyed before the answer. */
  | { readonly type: 'cut-after-effect' };

/**
 * Which requests a fault hits and how often. `route` is a route template, either the path
 * (`/repos/{owner}/{repo}/git/trees`) or method and path (`POST /repos/{owner}/{repo}/git/trees`),
 * or a RegExp tested against both the template and the concrete request path.
 */
export interface FaultRule<K extends { readonly type: string } = CommonFaultKind> {
  readonly method?: string;
  readonly route?: string | RegExp;
  readonly times: number;
  readonly kind: K;
}

/** A fault that was injected: how many more requests it will hit, and how many it has hit. */
export interface InjectedFault {
  readonly remaining: number;
  readonly triggered: number;
}

/** How long a new repository stays invisible: a number of requests, or `{ ms }` milliseconds. */
export type NotFoundWindow = number | { readonly requests: number } | { readonly ms: number };

/** Fault injection of a test server, as tests see it. */
export interface HostFaults<K extends { readonly type: string } = CommonFaultKind> {
  /** Makes the next `times` matching requests fail (or slow down) the way `kind` says. */
  inject(rule: FaultRule<K>): InjectedFault;
  /** Makes repositories created from now on answer 404 on their own endpoints for a while (a host's replication lag). */
  notFoundAfterCreate(window: NotFoundWindow): void;
  /** Removes every injected fault and the not-found-after-create window. */
  clear(): void;
}

/** What the server does with one request, as decided by the injected faults. */
export interface FaultDecision<K extends { readonly type: string }> {
  readonly delayMs: number;
  readonly fault?: Exclude<K, { type: 'latency' }>;
}

class ActiveFault<K extends { readonly type: string }> implements InjectedFault {
  triggered = 0;
  constructor(readonly rule: FaultRule<K>) {}

  get remaining(): number {
    return Math.max(0, this.rule.times - this.triggered);
  }

  matches(method: string, template: string, requestPath: string): boolean {
    if (this.remaining === 0) return false;
    if (this.rule.method && this.rule.method.toUpperCase() !== method) return false;
    const route = this.rule.route;
    if (route === undefined) return true;
    if (route instanceof RegExp) return route.test(template) || route.test(`${method} ${template}`) || route.test(requestPath);
    return route.includes(' ') ? route === `${method} ${template}` : route === template;
  }
}

interface HiddenRepository {
  readonly createdAt: number;
  requestsLeft: number;
}

/** A server's fault state; `HostFaults` is its public face. */
export class FaultInjector<K extends { readonly type: string } = CommonFaultKind> implements HostFaults<K> {
  private faults: ActiveFault<K>[] = [];
  private window: NotFoundWindow | undefined;
  private readonly hidden = new Map<number, HiddenRepository>();

  inject(rule: FaultRule<K>): InjectedFault {
    if (!Number.isInteger(rule.times) || rule.times < 1) throw new RangeError('times must be a positive integer');
    const fault = new ActiveFault(rule);
    this.faults.push(fault);
    return fault;
  }

  notFoundAfterCreate(window: NotFoundWindow): void {
    this.window = window;
  }

  clear(): void {
    this.faults = [];
    this.window = undefined;
    this.hidden.clear();
  }

  /** Consumes the faults matching a request: every latency fault adds its delay, the first other fault decides the answer. */
  decide(method: string, template: string, requestPath: string): FaultDecision<K> {
    let delayMs = 0;
    for (const fault of this.faults) {
      if (!fault.matches(method, template, requestPath)) continue;
      fault.triggered++;
      const kind = fault.rule.kind;
      if (kind.type === 'latency') {
        delayMs += (kind as unknown as { ms: number }).ms;
        continue;
      }
      this.faults = this.faults.filter((candidate) => candidate.remaining > 0);
      return { delayMs, fault: kind as Exclude<K, { type: 'latency' }> };
    }
    this.faults = this.faults.filter((candidate) => candidate.remaining > 0);
    return { delayMs };
  }

  /** Records a repository creation, so that it can be hidden for the configured window. */
  repositoryCreated(repositoryId: number, now: number): void {
    if (this.window === undefined) return;
    const requests = typeof this.window === 'number' ? this.window : 'requests' in this.window ? this.window.requests : Infinity;
    this.hidden.set(repositoryId, { createdAt: now, requestsLeft: requests });
  }

  /** True when a request to this repository must answer 404 (and counts it). */
  hidesRepository(repositoryId: number, now: number): boolean {
    const entry = this.hidden.get(repositoryId);
    if (!entry || this.window === undefined) return false;
    const expired =
      typeof this.window === 'object' && 'ms' in this.window ? now - entry.createdAt >= this.window.ms : entry.requestsLeft <= 0;
    if (expired) {
      this.hidden.delete(repositoryId);
      return false;
    }
    entry.requestsLeft--;
    return true;
  }
}
