import express, { type RequestHandler } from 'express';
import helmet from 'helmet';
import request from 'supertest';
import { startTestServer } from '../testing/test-server';
import { SECURITY_HEADERS, securityHeaders } from './security-headers';

/** The headers `middleware` adds to a bare Express answer, by lower-case name, in the order they are sent. */
async function headersAddedBy(middleware: RequestHandler | undefined): Promise<[string, string][]> {
  const app = express();
  app.disable('x-powered-by');
  if (middleware) app.use(middleware);
  app.get('/', (_req, res) => res.json({}));
  const response = await request(app).get('/');
  const raw = response.headers as Record<string, string>;
  return Object.entries(raw);
}

async function securityHeadersOf(middleware: RequestHandler): Promise<[string, string][]> {
  const bare = new Map(await headersAddedBy(undefined));
  return (await headersAddedBy(middleware)).filter(([name, value]) => bare.get(name) !== value && name !== 'date');
}

describe('securityHeaders', () => {
  it("sets exactly helmet's default headers, names and values", async () => {
    const helmets = await securityHeadersOf(helmet());
    expect(helmets.length).toBeGreaterThanOrEqual(10);
    expect(await securityHeadersOf(securityHeaders)).toEqual(helmets);
    expect(SECURITY_HEADERS.map(([name, value]) => [name.toLowerCase(), value])).toEqual(helmets);
  });

  it('is what the API sends on its answers, the docs page included (whose scripts the policy allows)', async () => {
    const server = await startTestServer();
    try {
      for (const path of ['/healthz', '/docs/', '/api/v1/datasets/acme/none']) {
        const response = await request(server.baseUrl).get(path);
        for (const [name, value] of SECURITY_HEADERS)
          expect([path, name, response.headers[name.toLowerCase()]]).toEqual([path, name, value]);
      }
      const docs = await request(server.baseUrl).get('/docs/');
      expect(docs.status).toBe(200);
      // Swagger UI's page loads its scripts from /docs itself (script-src 'self'), none inline.
      expect(docs.text).not.toMatch(/<script>(?!\s*<\/script>)/);
    } finally {
      await server.close();
    }
  });
});
