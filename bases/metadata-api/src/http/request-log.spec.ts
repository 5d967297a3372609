import express from 'express';
import pino from 'pino';
import request from 'supertest';
import { logOf, requestLog } from './request-log';

/** An app logging into `lines`, answering 200 at /ok, 404 at /missing, 500 at /broken, and 200 at the probe /healthz. */
function appLoggingTo(lines: Record<string, unknown>[]) {
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
  const app = express();
  app.use(requestLog(logger, new Set(['/healthz'])));
  app.get('/ok', (req, res) => {
    logOf(req)!.info('inside');
    res.json({ id: req.id });
  });
  app.get('/missing', (_req, res) => res.status(404).end());
  app.get('/broken', (_req, res) => res.status(500).end());
  app.get('/healthz', (_req, res) => res.end());
  return app;
}

describe('requestLog', () => {
  it('logs one line per request with its id, method, URL, status and time, at a level by status, and never a header', async () => {
    const lines: Record<string, unknown>[] = [];
    const app = appLoggingTo(lines);
    const ok = await request(app).get('/ok?ref=v1').set('Authorization', 'Bearer secret-token');
    await request(app).get('/missing');
    await request(app).get('/broken');
    const id = ok.headers['x-request-id'];
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(ok.body).toEqual({ id });
    const completed = lines.filter((line) => line['msg'] !== 'inside');
    expect(completed.map((line) => [line['level'], line['msg'], (line['res'] as { statusCode: number }).statusCode])).toEqual([
      [30, 'request completed', 200],
      [40, 'request completed', 404],
      [50, 'request errored', 500],
    ]);
    expect(completed[0]).toMatchObject({ req: { id, method: 'GET', url: '/ok?ref=v1' }, responseTime: expect.any(Number) });
    // The handler's own line carries the request too.
    expect(lines.find((line) => line['msg'] === 'inside')).toMatchObject({ req: { id } });
    expect(JSON.stringify(lines)).not.toContain('secret-token');
  });

  it.each([
    ['a plain X-Request-Id is kept', 'trace-42.a_b', 'trace-42.a_b'],
    ['one with other characters is replaced', 'id with spaces && "quotes"', undefined],
    ['one over 128 characters is replaced', 'x'.repeat(129), undefined],
  ])('%s', async (_label, given, kept) => {
    const lines: Record<string, unknown>[] = [];
    const response = await request(appLoggingTo(lines)).get('/ok').set('X-Request-Id', given);
    if (kept) expect(response.headers['x-request-id']).toBe(kept);
    else expect(response.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect((lines.at(-1)!['req'] as { id: string }).id).toBe(response.headers['x-request-id']);
  });

  it('does not log requests to the paths it is told to leave out (probes), but still gives them an id', async () => {
    const lines: Record<string, unknown>[] = [];
    const response = await request(appLoggingTo(lines)).get('/healthz');
    expect(response.headers['x-request-id']).toBeDefined();
    expect(lines).toEqual([]);
  });
});
