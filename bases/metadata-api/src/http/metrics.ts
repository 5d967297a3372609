import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { JournalStatus } from '@metastore/catalog';
import type { Outbox } from '@metastore/events';
import type { DatasetStorage } from '@metastore/storage';
import type { CircuitStatus } from '../catalog-circuit';
import { perApp } from './operation';
import type { RevocationListHealth } from '@metastore/authz';

/** The rate-limit view some storage backends expose (GitHub: x-ratelimit-* of the last answer). */
interface RateLimitedStorage {
  readonly budget: { limit?: number; remaining?: number; reset?: number; requests: number; notModified: number };
}

function hasBudget(storage: DatasetStorage): storage is DatasetStorage & RateLimitedStorage {
  return typeof (storage as Partial<RateLimitedStorage>).budget === 'object';
}

/** Observes a request's duration when its response is finished, labelled with the route template `routeOf` names then. */
export type TrackRequest = (req: IncomingMessage, res: ServerResponse, routeOf: () => string) => void;

/** What the metrics report of the catalog database: the changes journaled while it did not answer, and its circuit. */
export interface CatalogHealth {
  readonly journal: { status(): Promise<JournalStatus> };
  readonly circuit: { status(): CircuitStatus };
}

/**
 * Prometheus metrics of one API process: HTTP requests by route, process defaults, the storage's upstream budget, the
 * outbox backlog, how stale the revocation list answering is, and the catalog's journal backlog and circuit.
 */
export function createMetrics(
  storage: DatasetStorage,
  outbox?: Outbox,
  revocations?: { health(): RevocationListHealth },
  catalog?: CatalogHealth,
): { registry: Registry; observe: RequestHandler; track: TrackRequest } {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const duration = new Histogram({
    name: 'metastore_http_request_duration_seconds',
    help: 'HTTP request duration by method, route template and status.',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [registry],
  });
  if (hasBudget(storage)) {
    new Gauge({
      name: 'metastore_storage_rate_limit_remaining',
      help: 'Requests left in the storage backend rate-limit window, as last reported by it.',
      labelNames: ['backend'],
      registers: [registry],
      collect() {
        if (storage.budget.remaining !== undefined) this.set({ backend: storage.backend }, storage.budget.remaining);
      },
    });
    new Gauge({
      name: 'metastore_storage_rate_limit_reset_seconds',
      help: 'Unix time at which the storage backend rate-limit window resets.',
      labelNames: ['backend'],
      registers: [registry],
      collect() {
        if (storage.budget.reset !== undefined) this.set({ backend: storage.backend }, storage.budget.reset);
      },
    });
    new Gauge({
      name: 'metastore_storage_requests',
      help: 'Requests made to the storage backend, and how many were answered 304 (not counted by the backend).',
      labelNames: ['backend', 'kind'],
      registers: [registry],
      collect() {
        this.set({ backend: storage.backend, kind: 'all' }, storage.budget.requests);
        this.set({ backend: storage.backend, kind: 'not_modified' }, storage.budget.notModified);
      },
    });
  }
  if (outbox) {
    new Gauge({
      name: 'metastore_outbox_pending_events',
      help: 'Change events in the outbox not yet published to the stream (grows while Redis is down or unconfigured).',
      registers: [registry],
      async collect() {
        // A scrape must not fail because the catalog database is down: the gauge is then left out.
        const pending = await outbox.pendingCount().catch(() => undefined);
        if (pending !== undefined) this.set(pending);
      },
    });
  }
  if (revocations) {
    new Gauge({
      name: 'metastore_revocation_list_stale_seconds',
      help: 'While the revocation list cannot be read (catalog database down): seconds since the copy answering was loaded; 0 while it reads. Past METASTORE_REVOCATION_CACHE_SECONDS + METASTORE_REVOCATION_STALE_SECONDS, tokens with an id get 503.',
      registers: [registry],
      collect() {
        this.set(revocations.health().staleSeconds);
      },
    });
    new Gauge({
      name: 'metastore_revocation_list_degraded',
      help: 'Whether the revocation list cannot be read: 0 no, 1 an older copy answers (stale), 2 none usable is left (tokens with an id get 503).',
      registers: [registry],
      collect() {
        const { state } = revocations.health();
        this.set(state === 'fresh' ? 0 : state === 'stale' ? 1 : 2);
      },
    });
  }
  if (catalog) {
    new Gauge({
      name: 'metastore_catalog_journal_pending',
      help: 'Changes written to git and acknowledged that wait in the catalog journal (<data dir>/catalog-journal) for the catalog database to record them with their events; 0 normally.',
      registers: [registry],
      async collect() {
        const status = await catalog.journal.status().catch(() => undefined);
        if (status) this.set(status.pending);
      },
    });
    new Gauge({
      name: 'metastore_catalog_circuit_state',
      help: 'The circuit breaker in front of the catalog database: 0 closed (calls go through), 1 half-open (one call probes), 2 open (calls skip the database).',
      registers: [registry],
      collect() {
        const status = catalog.circuit.status();
        this.set(status === 'closed' ? 0 : status === 'half-open' ? 1 : 2);
      },
    });
  }
  // One labelled child per (method, route, status), found by a string key: prom-client would otherwise hash the label
  // object on every observation. Label values are bounded (route templates, not URLs), so the map is too.
  const observers = new Map<string, { observe(seconds: number): void }>();
  const track: TrackRequest = (req, res, routeOf) => {
    const start = performance.now();
    res.once('finish', () => {
      const route = routeOf();
      const status = String(res.statusCode);
      const method = req.method ?? '';
      const key = `${method} ${status} ${route}`;
      let observer = observers.get(key);
      if (!observer) observers.set(key, (observer = duration.labels({ method, route, status })));
      observer.observe((performance.now() - start) / 1000);
    });
  };
  const observe: RequestHandler = (req, res, next) => {
    // The route template, not the URL: bounded label values.
    track(req, res, () => (req.route?.path ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched'));
    next();
  };
  return { registry, observe, track };
}

/** The metrics of one app: its middleware observes requests with them, and the `metrics` operation serves them at /metrics. */
export const metricsOf = perApp((dependencies) =>
  createMetrics(dependencies.backendStorage, dependencies.outbox, dependencies.revocations, {
    journal: dependencies.journal,
    circuit: dependencies.catalogCircuit,
  }),
);
