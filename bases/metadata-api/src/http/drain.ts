import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/** How a stopping server lets its connections go. */
export interface DrainOptions {
  /** After this long, connections still open are cut so the process can finish closing; default 9 s. */
  readonly deadlineMs?: number;
  /** How often keep-alive connections that fell idle are closed while draining; default 100 ms. */
  readonly idleSweepMs?: number;
}

/**
 * Graceful shutdown for a keep-alive HTTP server. `server.close()` stops accepting and closes the connections idle at
 * that moment, but a connection busy then (or a client that keeps sending on it) would stay open after its response:
 * a stopping process would wait for the client. Once `drain` is called, every response not yet started says
 * `Connection: close`, so each connection ends after the response it is serving; idle ones are swept, and those still
 * open at the deadline are cut. Install before the server serves (`prepareDrain(server)`), call the returned function
 * to drain; it resolves when the server has closed.
 */
export function prepareDrain(server: Server, options: DrainOptions = {}): () => Promise<void> {
  const inFlight = new Set<ServerResponse>();
  let draining = false;
  const closeAfterResponse = (response: ServerResponse) => {
    if (!response.headersSent) response.setHeader('Connection', 'close');
  };
  // Prepended: runs before the application's handler, so the header is set before anything is sent.
  server.prependListener('request', (_request: IncomingMessage, response: ServerResponse) => {
    if (draining) {
      closeAfterResponse(response);
      return;
    }
    inFlight.add(response);
    response.once('close', () => inFlight.delete(response));
  });
  return () =>
    new Promise<void>((resolve) => {
      draining = true;
      for (const response of inFlight) closeAfterResponse(response);
      inFlight.clear();
      const sweep = setInterval(() => server.closeIdleConnections(), options.idleSweepMs ?? 100);
      const deadline = setTimeout(() => server.closeAllConnections(), options.deadlineMs ?? 9_000);
      server.close(() => {
        clearInterval(sweep);
        clearTimeout(deadline);
        resolve();
      });
    });
}
