import type { ParseArgsConfig } from 'node:util';

/** `--name`'s value as a non-negative integer, or undefined when it was not given. */
export function nonNegativeInteger(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new Error(`--${name} must be a non-negative integer, got "${value}"`);
  return parsed;
}

/** The command-line options every standalone host test server takes (`parseArgs` options; a host adds its own). */
export const STANDALONE_OPTIONS = {
  port: { type: 'string' },
  host: { type: 'string' },
  'data-dir': { type: 'string' },
  'latency-ms': { type: 'string' },
  'rate-limit': { type: 'string' },
  'validate-responses': { type: 'boolean' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

/** What the common options ask of a server, in the shape the host servers' start functions take. */
export interface StandaloneServerOptions {
  readonly port?: number;
  readonly host?: string;
  readonly dataDir?: string;
  readonly latencyMs?: number;
  readonly rateLimit?: number;
  readonly validateResponses: boolean;
}

/** The common options' values, checked (a bad number throws naming its option). */
export function standaloneServerOptions(values: {
  readonly port?: string;
  readonly host?: string;
  readonly 'data-dir'?: string;
  readonly 'latency-ms'?: string;
  readonly 'rate-limit'?: string;
  readonly 'validate-responses'?: boolean;
}): StandaloneServerOptions {
  const port = nonNegativeInteger('port', values.port);
  const latencyMs = nonNegativeInteger('latency-ms', values['latency-ms']);
  const rateLimit = nonNegativeInteger('rate-limit', values['rate-limit']);
  return {
    ...(port !== undefined ? { port } : {}),
    ...(values.host ? { host: values.host } : {}),
    ...(values['data-dir'] ? { dataDir: values['data-dir'] } : {}),
    ...(latencyMs !== undefined ? { latencyMs } : {}),
    ...(rateLimit !== undefined ? { rateLimit } : {}),
    validateResponses: values['validate-responses'] ?? false,
  };
}
