import type { NextFunction, Request, RequestHandler, Response } from 'express';

/**
 * Runs middleware one after the other as one Express layer: what every request passes (metrics, logs, headers, the URL
 * check, authentication) costs one layer of Express's router instead of one each (path matching and dispatch per layer;
 * `npm run bench -- --only=read --profile`). A handler that sends a response and does not call `next` ends the sequence;
 * `next(error)`, a throw or a rejected promise goes to Express's error handling, as from a layer of its own.
 */
export function inSequence(...handlers: readonly RequestHandler[]): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    let index = 0;
    const step = (error?: unknown): void => {
      if (error) {
        next(error);
        return;
      }
      const handler = handlers[index];
      index += 1;
      if (handler === undefined) {
        next();
        return;
      }
      try {
        const returned: unknown = handler(req, res, step);
        if (returned instanceof Promise) returned.catch((rejected: unknown) => next(rejected ?? new Error('Rejected promise')));
      } catch (thrown) {
        next(thrown);
      }
    };
    step();
  };
}
