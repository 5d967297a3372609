export { TcpProxy } from './lib/tcp-proxy';
export type { TcpProxyCounts, TcpProxyOptions } from './lib/tcp-proxy';
export { startEchoServer } from './lib/echo-server';
export type { EchoServer } from './lib/echo-server';
