import { PassThrough } from 'node:stream';
import { createLogger } from './logger';

/** Logs one request-like record through a logger made for `terminal`, and returns what was written. */
async function logged(terminal: boolean): Promise<string> {
  const destination = new PassThrough();
  let text = '';
  destination.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  const logger = createLogger({ level: 'info' }, { terminal, destination });
  logger.info({ req: { method: 'GET', url: '/api/v1/datasets' }, responseTime: 3 }, 'request completed');
  logger.debug('below the level');
  await new Promise((resolve) => setImmediate(resolve));
  return text;
}

describe('createLogger', () => {
  it('writes JSON lines when the output is not a terminal (containers, pipes)', async () => {
    const lines = (await logged(false)).trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 30, msg: 'request completed', req: { method: 'GET' }, responseTime: 3 });
  });

  it('writes human-readable lines on a terminal: time, level and message first, then the fields; no pid or hostname', async () => {
    const text = await logged(true);
    expect(text).toMatch(
      /^\[\d{2}:\d{2}:\d{2}\.\d{3}\] INFO: request completed \{"req":\{"method":"GET","url":"\/api\/v1\/datasets"\},"responseTime":3\}\n$/,
    );
    expect(text).not.toContain('below the level');
    expect(text).not.toMatch(/"level":|pid|hostname/);
  });
});
