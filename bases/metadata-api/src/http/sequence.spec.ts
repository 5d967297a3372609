import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import request from 'supertest';
import { inSequence } from './sequence';

/** An app running `handlers` as one layer, then answering with the steps taken; errors answer 500 with their message. */
function appOf(...handlers: RequestHandler[]) {
  const app = express();
  app.use((_req, res, next) => {
    res.locals['steps'] = [];
    next();
  });
  app.use(inSequence(...handlers));
  app.get('/', (_req, res) => res.json({ steps: res.locals['steps'] }));
  const onError: ErrorRequestHandler = (error: Error, _req, res, _next) => res.status(500).json({ error: error.message });
  app.use(onError);
  return app;
}

const step =
  (name: string): RequestHandler =>
  (_req, res, next) => {
    (res.locals['steps'] as string[]).push(name);
    next();
  };

describe('inSequence', () => {
  it('runs the handlers in order, then the routes after it', async () => {
    const response = await request(appOf(step('a'), step('b'), step('c'))).get('/');
    expect(response.body).toEqual({ steps: ['a', 'b', 'c'] });
  });

  it('stops at a handler that answers', async () => {
    const answering: RequestHandler = (_req, res) => {
      res.status(401).json({ stoppedAfter: res.locals['steps'] });
    };
    const response = await request(appOf(step('a'), answering, step('never'))).get('/');
    expect(response.status).toBe(401);
    expect(response.body).toEqual({ stoppedAfter: ['a'] });
  });

  it.each([
    ['next(error)', ((_req, _res, next) => next(new Error('passed on'))) as RequestHandler, 'passed on'],
    [
      'a throw',
      (() => {
        throw new Error('thrown');
      }) as RequestHandler,
      'thrown',
    ],
    ['a rejected promise', (async () => Promise.reject(new Error('rejected'))) as RequestHandler, 'rejected'],
  ])('sends %s to the error handler, skipping the rest', async (_label, failing, message) => {
    const response = await request(appOf(step('a'), failing, step('never'))).get('/');
    expect(response.status).toBe(500);
    expect(response.body).toEqual({ error: message });
  });
});
