import { once } from 'node:events';
import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { prepareDrain } from './drain';

/** A server whose every answer takes a few milliseconds, so a request is usually in flight; `onRequest` sees each one come in. */
async function slowServer(onRequest: () => void = () => undefined): Promise<Server> {
  const server = http.createServer((_request, response) => {
    onRequest();
    setTimeout(() => response.end('ok'), 5);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

interface Answer {
  readonly status?: number;
  readonly connection?: string;
  readonly error?: string;
}

/** One GET over `agent`: the status and Connection header, or the error code. */
function get(port: number, agent: http.Agent): Promise<Answer> {
  return new Promise((resolve) => {
    const request = http.get({ host: '127.0.0.1', port, path: '/', agent }, (response) => {
      response.resume();
      response.once('end', () => resolve({ status: response.statusCode!, connection: String(response.headers.connection) }));
    });
    request.once('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
  });
}

/** A client sending one request after another on one keep-alive connection, until told to stop or refused. */
function busyClient(port: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const answers: Answer[] = [];
  let stop = false;
  const done = (async () => {
    while (!stop) {
      const answer = await get(port, agent);
      answers.push(answer);
      if (answer.error) break;
    }
    agent.destroy();
  })();
  return {
    answers,
    async stop() {
      stop = true;
      await done;
    },
    done,
  };
}

async function answered(answers: readonly Answer[], count: number): Promise<void> {
  while (answers.length < count) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe('prepareDrain', () => {
  it('without it, a client that keeps sending on its keep-alive connection keeps a closing server open', async () => {
    // close() while a request is in flight: Node closes the connections idle at that instant, so one closed between two
    // requests would end the demonstration by chance.
    let closeNow = false;
    let closed = false;
    let closing: (() => void) | undefined;
    const closeCalled = new Promise<void>((resolve) => (closing = resolve));
    const server: Server = await slowServer(() => {
      if (!closeNow) return;
      closeNow = false;
      server.close(() => (closed = true));
      closing!();
    });
    const client = busyClient((server.address() as AddressInfo).port);
    await answered(client.answers, 3);
    closeNow = true;
    await closeCalled;
    const before = client.answers.length;
    await answered(client.answers, before + 20);
    // Twenty more answers on the same connection after close(): the server waits for the client.
    expect(closed).toBe(false);
    expect(client.answers.every((answer) => answer.status === 200)).toBe(true);
    await client.stop();
    server.closeAllConnections();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(closed).toBe(true);
  });

  it('ends each connection after the response it is serving: the server closes, no request in flight fails', async () => {
    // The drain begins while a request is in flight (as a SIGTERM under load finds one), not between two by chance.
    let drainNow = false;
    let drained: Promise<void> | undefined;
    let drainStarted: () => void = () => undefined;
    const started = new Promise<void>((resolve) => (drainStarted = resolve));
    const server: Server = await slowServer(() => {
      if (!drainNow) return;
      drainNow = false;
      drained = drain();
      drainStarted();
    });
    const drain = prepareDrain(server);
    const client = busyClient((server.address() as AddressInfo).port);
    await answered(client.answers, 3);
    drainNow = true;
    await started;
    await drained;
    await client.done;
    const answers = client.answers;
    const last = answers.at(-1)!;
    // Every request sent on the open connection was answered, the one in flight with `Connection: close`; the one after it
    // found the port closed.
    expect(answers.slice(0, -1).every((answer) => answer.status === 200)).toBe(true);
    expect(answers.at(-2)).toEqual({ status: 200, connection: 'close' });
    expect(last.error).toBe('ECONNREFUSED');
    expect(server.listening).toBe(false);
  });

  it('closes idle keep-alive connections and cuts what is still open at the deadline', async () => {
    const hanging = http.createServer(() => undefined);
    hanging.listen(0, '127.0.0.1');
    await once(hanging, 'listening');
    const drain = prepareDrain(hanging, { deadlineMs: 50, idleSweepMs: 10 });
    const agent = new http.Agent({ keepAlive: true });
    const pending = get((hanging.address() as AddressInfo).port, agent);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await drain();
    // The request that was never answered is cut at the deadline rather than holding the process.
    expect((await pending).error).toBe('ECONNRESET');
    agent.destroy();
  });
});
