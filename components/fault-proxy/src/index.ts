export { TcpProxy } from './lib/tcp-proxy';
export type { TcpProxyCounts, TcpProxyOptions } from './lib/tcp-proxy';
