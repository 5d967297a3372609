import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';

/** Where a `TcpProxy` forwards to, and where it listens. */
export interface TcpProxyOptions {
  /** The host of the server behind the proxy. */
  readonly targetHost: string;
  /** The port of the server behind the proxy. */
  readonly targetPort: number;
  /** The address to listen on; loopback (`127.0.0.1`) by default. */
  readonly listenHost?: string;
  /** The port to listen on; an ephemeral one by default. */
  readonly listenPort?: number;
}

/** What a proxy has done since it started. */
export interface TcpProxyCounts {
  /** Connections accepted and forwarded to the target. */
  readonly accepted: number;
  /** Connections closed at once because the proxy was refusing. */
  readonly refused: number;
  /** Connections destroyed by `cut()`. */
  readonly cut: number;
  /** Connections open right now. */
  readonly active: number;
}

/** One client connection and the proxy's own connection to the target. */
interface ProxiedConnection {
  readonly client: Socket;
  readonly upstream: Socket;
}

/**
 * A TCP proxy in the test's own process: it forwards bytes to a real server (PostgreSQL, Redis, an HTTP server)
 * and can cut every live connection or refuse new ones, so a test breaks the path to a shared server without
 * stopping the server.
 */
export class TcpProxy {
  /** The address the proxy listens on. */
  readonly host: string;
  /** The port the proxy listens on. */
  readonly port: number;
  private readonly connections = new Set<ProxiedConnection>();
  private refusing = false;
  private accepted = 0;
  private refused = 0;
  private cutCount = 0;

  private constructor(
    private readonly server: Server,
    private readonly options: TcpProxyOptions,
    host: string,
    port: number,
  ) {
    this.host = host;
    this.port = port;
  }

  /** Starts a proxy listening on loopback (an ephemeral port unless `listenPort` is given) in front of the target. */
  static async start(options: TcpProxyOptions): Promise<TcpProxy> {
    const server = createServer();
    const listenHost = options.listenHost ?? '127.0.0.1';
    server.listen(options.listenPort ?? 0, listenHost);
    await once(server, 'listening');
    const address = server.address();
    if (!address || typeof address === 'string') throw new Error('the proxy has no TCP address');
    const proxy = new TcpProxy(server, options, listenHost, address.port);
    server.on('connection', (client) => proxy.accept(client));
    return proxy;
  }

  /** `url` with its host and port replaced by the proxy's (credentials, path and query kept). */
  urlThrough(url: string): string {
    const parsed = new URL(url);
    parsed.hostname = this.host;
    parsed.port = String(this.port);
    return parsed.toString();
  }

  /** Destroys every live connection on both sides (the client sees its connection close); returns how many. */
  cut(): number {
    const count = this.connections.size;
    this.cutCount += count;
    this.destroyAll();
    return count;
  }

  /** From now on, new connections are closed as soon as they are accepted; live ones are left alone (see `cut`). */
  refuse(): void {
    this.refusing = true;
  }

  /** Accepts and forwards new connections again, after `refuse`. */
  resume(): void {
    this.refusing = false;
  }

  /** What the proxy has done so far. */
  counts(): TcpProxyCounts {
    return { accepted: this.accepted, refused: this.refused, cut: this.cutCount, active: this.connections.size };
  }

  /** Stops listening and destroys every live connection (not counted as cut). */
  async close(): Promise<void> {
    this.refusing = true;
    this.destroyAll();
    if (!this.server.listening) return;
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    client.on('error', () => undefined);
    if (this.refusing) {
      this.refused++;
      client.destroy();
      return;
    }
    this.accepted++;
    const upstream = connect({ host: this.options.targetHost, port: this.options.targetPort });
    upstream.on('error', () => undefined);
    const connection = { client, upstream };
    this.connections.add(connection);
    const end = (): void => {
      this.connections.delete(connection);
      client.destroy();
      upstream.destroy();
    };
    client.once('close', end);
    upstream.once('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  }

  private destroyAll(): void {
    for (const { client, upstream } of this.connections) {
      client.destroy();
      upstream.destroy();
    }
    this.connections.clear();
  }
}
