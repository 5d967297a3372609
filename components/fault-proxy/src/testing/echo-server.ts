import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';

/** A TCP server on loopback that writes back every byte it receives. */
export interface EchoServer {
  readonly host: string;
  readonly port: number;
  /** Connections it has accepted so far. */
  accepted(): number;
  /** Connections open right now. */
  open(): number;
  /** Stops listening and closes every connection. */
  close(): Promise<void>;
}

/** Starts an echo server on 127.0.0.1 and an ephemeral port: the simplest real target for a `TcpProxy`. */
export async function startEchoServer(): Promise<EchoServer> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server = createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('close', () => sockets.delete(socket));
    socket.pipe(socket);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('the echo server has no TCP address');
  return {
    host: '127.0.0.1',
    port: address.port,
    accepted: () => accepted,
    open: () => sockets.size,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
