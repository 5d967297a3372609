import { rename, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { Counter, Gauge, Registry } from 'prom-client';
import type { RunReport } from './worker';

/**
 * The sync runs as Prometheus metrics (`metastore_sync_*`): runs by outcome, what they compared, recorded and cost, and
 * the lag (seconds since the last successful run started: how old the newest change the catalog surely holds may be).
 * Served at `/metrics` in loop mode, written to a file (node_exporter's textfile collector) after each run of a CronJob.
 */
export class SyncMetrics {
  readonly registry = new Registry();
  private lastSuccessStart: number | undefined;
  private readonly runs: Counter<'outcome'>;
  private readonly datasets: Counter<'result'>;
  private readonly events: Counter;
  private readonly requests: Counter<'answer'>;
  private readonly duration: Gauge;
  private readonly lastRun: Gauge;
  private readonly lastSuccess: Gauge;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly options: {
      /** Rewrite this file after each recorded run (node_exporter's textfile collector). */
      readonly file?: string;
      readonly onWriteError?: (error: unknown) => void;
      readonly now?: () => number;
    } = {},
  ) {
    const registers = [this.registry];
    this.runs = new Counter({ name: 'metastore_sync_runs_total', help: 'Sync runs, by outcome', labelNames: ['outcome'], registers });
    this.datasets = new Counter({
      name: 'metastore_sync_datasets_total',
      help: 'Datasets compared with storage one by one (result="checked"), and those for which events were recorded ("changed")',
      labelNames: ['result'],
      registers,
    });
    this.events = new Counter({ name: 'metastore_sync_events_total', help: 'Events the sync recorded', registers });
    this.requests = new Counter({
      name: 'metastore_sync_storage_requests_total',
      help: 'Requests to the git host during runs: answer="counted" against its rate limit, "not_modified" (304s, free on GitHub)',
      labelNames: ['answer'],
      registers,
    });
    this.duration = new Gauge({ name: 'metastore_sync_last_run_duration_seconds', help: 'How long the last run took', registers });
    this.lastRun = new Gauge({ name: 'metastore_sync_last_run_timestamp_seconds', help: 'When the last run ended', registers });
    this.lastSuccess = new Gauge({
      name: 'metastore_sync_last_success_timestamp_seconds',
      help: 'When the last run without failures started (with a textfile, lag is time() minus this)',
      registers,
    });
    const lagSeconds = () =>
      this.lastSuccessStart === undefined ? undefined : ((this.options.now ?? Date.now)() - this.lastSuccessStart) / 1000;
    new Gauge({
      name: 'metastore_sync_lag_seconds',
      help: 'Seconds since the last run without failures started: changes pushed since may not be in the catalog yet',
      registers,
      collect() {
        const lag = lagSeconds();
        if (lag !== undefined) this.set(lag);
      },
    });
    for (const outcome of ['ok', 'failed']) this.runs.inc({ outcome }, 0);
  }

  /** Adds one run's report (and rewrites the file, if any; `flush` waits for it). */
  record(report: RunReport): void {
    this.update(report);
    const file = this.options.file;
    if (file) this.writing = this.writing.then(() => this.writeTo(file)).catch((error: unknown) => this.options.onWriteError?.(error));
  }

  /** Resolves once the file holds every recorded run. */
  flush(): Promise<void> {
    return this.writing;
  }

  private update(report: RunReport): void {
    const end = report.startedAt.getTime() + report.durationMs;
    this.runs.inc({ outcome: report.ok ? 'ok' : 'failed' });
    this.datasets.inc({ result: 'checked' }, report.checked);
    this.datasets.inc({ result: 'changed' }, report.changed);
    this.events.inc(report.events);
    if (report.apiCalls) {
      this.requests.inc({ answer: 'counted' }, report.apiCalls.counted);
      this.requests.inc({ answer: 'not_modified' }, report.apiCalls.notModified);
    }
    this.duration.set(report.durationMs / 1000);
    this.lastRun.set(end / 1000);
    if (report.ok) {
      this.lastSuccessStart = report.startedAt.getTime();
      this.lastSuccess.set(this.lastSuccessStart / 1000);
    }
  }

  /** The metrics in Prometheus' text format. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  /** Writes the metrics to `file` atomically (a temporary file renamed over it), as the textfile collector wants. */
  async writeTo(file: string): Promise<void> {
    const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
    await writeFile(temporary, await this.text());
    await rename(temporary, file);
  }

  /** Serves `GET /metrics` on `port` (all interfaces); resolves once listening. */
  async serve(port: number, host = '0.0.0.0'): Promise<Server> {
    const server = createServer((request, response) => {
      if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
        response.writeHead(404).end();
        return;
      }
      this.text().then(
        (body) => response.writeHead(200, { 'content-type': this.registry.contentType }).end(body),
        () => response.writeHead(500).end(),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    return server;
  }
}
