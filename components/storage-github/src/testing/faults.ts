/** What an injected fault does to a matching request. */
export type FaultKind =
  | { readonly type: 'server-error'; readonly status: 500 | 502 | 503 }
  | { readonly type: 'primary-rate-limit'; readonly status: 403 | 429; readonly resetInSeconds: number }
  /** Without `retryAfterSeconds` the answer has no `retry-after` header (clients should then wait a minute). */
  | { readonly type: 'secondary-rate-limit'; readonly retryAfterSeconds?: number; readonly status?: 403 | 429 }
  | { readonly type: 'latency'; readonly ms: number }
  | { readonly type: 'error-after-effect'; readonly status: 500 | 502 | 503 };

/**
 * Which requests a fault hits and how often. `route` is a route template, either the path
 * (`/repos/{owner}/{repo}/git/trees`) or method and path (`POST /repos/{owner}/{repo}/git/trees`),
 * or a RegExp tested against both the template and the concrete request path.
 */
export interface FaultRule {
  readonly method?: string;
  readonly route?: string | RegExp;
  readonly times: number;
  readonly kind: FaultKind;
}

/** A fault that was injected: how many more requests it will hit, and how many it has hit. */
export interface InjectedFault {
  readonly remaining: number;
  readonly triggered: number;
}

/** How long a new repository stays invisible: a number of requests, or `{ ms }` milliseconds. */
export type NotFoundWindow = number | { readonly requests: number } | { readonly ms: number };

/** Fault injection of the test server. */
export interface GitHubTestServerFaults {
  /** Makes the next `times` matching requests fail (or slow down) the way `kind` says. */
  inject(rule: FaultRule): InjectedFault;
  /** Makes repositories created from now on answer 404 on their repo-scoped endpoints for a while (GitHub's replication lag). */
  notFoundAfterCreate(window: NotFoundWindow): void;
  /** Removes every injected fault and the not-found-after-create window. */
  clear(): void;
}

/** What the server does with one request, as decided by the injected faults. */
export interface FaultDecision {
  readonly delayMs: number;
  readonly fault?: Exclude<FaultKind, { type: 'latency' }>;
}

class ActiveFault implements InjectedFault {
  triggered = 0;
  constructor(readonly rule: FaultRule) {}

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

/** The server's fault state; `GitHubTestServerFaults` is its public face. */
export class FaultInjector implements GitHubTestServerFaults {
  private faults: ActiveFault[] = [];
  private window: NotFoundWindow | undefined;
  private readonly hidden = new Map<number, HiddenRepository>();

  inject(rule: FaultRule): InjectedFault {
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
  decide(method: string, template: string, requestPath: string): FaultDecision {
    let delayMs = 0;
    for (const fault of this.faults) {
      if (!fault.matches(method, template, requestPath)) continue;
      fault.triggered++;
      if (fault.rule.kind.type === 'latency') {
        delayMs += fault.rule.kind.ms;
        continue;
      }
      this.faults = this.faults.filter((candidate) => candidate.remaining > 0);
      return { delayMs, fault: fault.rule.kind };
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

  /** True when a repo-scoped request to this repository must answer 404 (and counts it). */
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
