import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { SyncMetrics } from './metrics';
import type { RunReport } from './worker';

const report = (overrides: Partial<RunReport> = {}): RunReport => ({
  startedAt: new Date('2026-01-01T00:00:00.000Z'),
  durationMs: 1500,
  checked: 12,
  changed: 3,
  events: 5,
  created: 1,
  updated: 3,
  deleted: 0,
  tagChanges: 1,
  failures: 0,
  fullOwners: 0,
  incrementalOwners: 2,
  apiCalls: { requests: 20, counted: 17, notModified: 3 },
  ok: true,
  ...overrides,
});

describe('SyncMetrics', () => {
  it('counts runs by outcome, datasets, events and requests, and reports the lag since the last successful run started', async () => {
    const metrics = new SyncMetrics({ now: () => Date.parse('2026-01-01T00:10:00.000Z') });
    metrics.record(report());
    metrics.record(report({ startedAt: new Date('2026-01-01T00:05:00.000Z'), ok: false, failures: 1, checked: 1, apiCalls: undefined }));
    const text = await metrics.text();
    expect(text).toContain('metastore_sync_runs_total{outcome="ok"} 1');
    expect(text).toContain('metastore_sync_runs_total{outcome="failed"} 1');
    expect(text).toContain('metastore_sync_datasets_total{result="checked"} 13');
    expect(text).toContain('metastore_sync_datasets_total{result="changed"} 6');
    expect(text).toContain('metastore_sync_events_total 10');
    expect(text).toContain('metastore_sync_storage_requests_total{answer="counted"} 17');
    expect(text).toContain('metastore_sync_storage_requests_total{answer="not_modified"} 3');
    expect(text).toContain('metastore_sync_last_success_timestamp_seconds 1767225600');
    // The failed run does not move the lag: ten minutes since the successful one started.
    expect(text).toContain('metastore_sync_lag_seconds 600');
  });

  it('serves /metrics over HTTP and rewrites a textfile after each run', async () => {
    const directory = await mkdtemp(path.join(os.tmpdir(), 'sync-metrics-'));
    const file = path.join(directory, 'metastore-sync.prom');
    const metrics = new SyncMetrics({ file });
    const server = await metrics.serve(0, '127.0.0.1');
    try {
      metrics.record(report());
      await metrics.flush();
      expect(await readFile(file, 'utf8')).toContain('metastore_sync_runs_total{outcome="ok"} 1');
      const { port } = server.address() as { port: number };
      const response = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('text/plain');
      expect(await response.text()).toContain('metastore_sync_events_total 5');
      expect((await fetch(`http://127.0.0.1:${port}/other`)).status).toBe(404);
    } finally {
      server.close();
      await rm(directory, { recursive: true, force: true });
    }
  });
});
