export { TcpProxy } from './lib/tcp-proxy';
export type { TcpProxyCounts, TcpProxyOptions } from './lib/tcp-proxy';
export { startEchoServer } from './testing/echo-server';
export type { EchoServer } from './testing/echo-server';
export { runKillLoop } from './lib/kill-loop';
export type { KillLoopOptions, KillLoopResult, LeftoverScan } from './lib/kill-loop';
