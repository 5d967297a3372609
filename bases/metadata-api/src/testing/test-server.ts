import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import pino from 'pino';
import request from 'supertest';
import { escapePointerToken } from '@metastore/errors';
import type { TokenClaims } from '@metastore/auth-jwt';
import { createCatalogDatabase } from '@metastore/catalog-postgres';
import { databaseForTests } from '@metastore/catalog-postgres/testing';
import type { EventStream } from '@metastore/events';
import { loadApiConfig } from '@metastore/runtime';
import type { DatasetStorage } from '@metastore/storage';
import { createServer } from '../app';
import { buildDependencies, type Dependencies } from '../dependencies';
import { openApiDocument } from '../openapi/document';

/** A running API over real git repositories in a temporary data directory, with its own catalog database. */
export interface TestServer {
  readonly baseUrl: string;
  readonly dataDir: string;
  readonly dependencies: Dependencies;
  /** A token this server accepts, for `claims` (default: an instance-wide admin). */
  tokenFor(claims?: TokenClaims, lifetimeSeconds?: number): string;
  /** An HTTP client whose every request carries an instance-wide admin's token. */
  http(): ReturnType<typeof request.agent>;
  /** The test's catalog database (a fresh, migrated PostgreSQL database) and the pool size it allows. */
  readonly database: { readonly url: string; readonly poolSize?: number };
  close(): Promise<void>;
}

/** The shared secret test servers verify tokens with (HS256). */
export const TEST_JWT_SECRET = 'metastore-test-secret-0123456789abcdef';

/** An instance-wide admin: may do anything, including writing as another author. */
const ADMIN: TokenClaims = { sub: 'test-admin', name: 'Test Admin', email: 'admin@example.com', roles: { '*': 'admin' } };

/**
 * Starts the real Express app on an ephemeral port (real HTTP), over local git storage unless another
 * is given, with a catalog in a database of its own (see `databaseForTests`), and optionally a stream.
 */
export async function startTestServer(
  env: Record<string, string> = {},
  makeStorage?: (dataDir: string) => DatasetStorage,
  options: {
    stream?: EventStream;
    /** Share another server's catalog database (a restarted process) instead of a new one. */ database?: {
      url: string;
      poolSize?: number;
    };
  } = {},
): Promise<TestServer> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'metastore-api-'));
  const config = loadApiConfig({
    METASTORE_DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    METASTORE_JWT_SECRET: TEST_JWT_SECRET,
    METASTORE_WRITE_RATE_LIMIT: '0',
    ...env,
  });
  const logger = pino({ level: 'silent' });
  const testDatabase = options.database ? { ...options.database, drop: async () => undefined } : await databaseForTests();
  const database = createCatalogDatabase({ url: testDatabase.url, ...(testDatabase.poolSize ? { poolSize: testDatabase.poolSize } : {}) });
  // The storage the configuration selects (as in production), unless the test brings its own.
  const dependencies = buildDependencies(
    config,
    {
      catalog: database.catalog,
      outbox: database.outbox,
      revocations: database.revocations,
      webhookDeliveries: database.webhookDeliveries,
      jwt: config.auth.jwt!,
      ...(options.stream ? { stream: options.stream } : {}),
    },
    { logger, ...(makeStorage ? { storage: makeStorage(dataDir) } : {}) },
  );
  const server = createServer(dependencies).listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  const tokenFor = (claims: TokenClaims = ADMIN, lifetimeSeconds = 3600) => dependencies.issuer.issue(claims, lifetimeSeconds).token;
  // Signed on first use: a server that verifies with public keys only cannot sign one (tests then sign their own).
  let adminToken: string | undefined;
  return {
    baseUrl,
    tokenFor,
    http: () => request.agent(baseUrl).set('Authorization', `Bearer ${(adminToken ??= tokenFor())}`),
    dataDir,
    dependencies,
    database: { url: testDatabase.url, ...(testDatabase.poolSize ? { poolSize: testDatabase.poolSize } : {}) },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await dependencies.webhookSync.stop();
      await dependencies.journal.stop();
      await dependencies.relay?.stop();
      await database.close();
      await testDatabase.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema(openApiDocument({ bodyLimitBytes: 1 }), 'openapi');

/**
 * Asserts that a response matches what /openapi.json documents for this operation and status
 * (the status is documented, and a JSON body matches its schema): the description cannot drift from the code.
 */
export function expectDocumented(
  method: string,
  pathTemplate: string,
  response: { status: number; body: unknown; headers: Record<string, string | string[] | undefined> },
): void {
  const document = openApiDocument({ bodyLimitBytes: 1 }) as {
    paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, unknown> }> }>>;
  };
  const operation = document.paths[pathTemplate]?.[method.toLowerCase()];
  if (!operation) throw new Error(`${method} ${pathTemplate} is not in the OpenAPI description`);
  const documented = operation.responses[String(response.status)];
  if (!documented) throw new Error(`${method} ${pathTemplate} answered ${response.status}, which is not documented`);
  if (!documented.content) return;
  const mediaType = String(response.headers['content-type'] ?? '')
    .split(';')[0]!
    .trim();
  if (!(mediaType in documented.content)) throw new Error(`${method} ${pathTemplate} ${response.status} sent ${mediaType}, not documented`);
  const pointer = ['paths', pathTemplate, method.toLowerCase(), 'responses', String(response.status), 'content', mediaType, 'schema']
    .map(escapePointerToken)
    .join('/');
  const validate = ajv.getSchema(`openapi#/${pointer}`);
  if (!validate) throw new Error(`no schema at ${pointer}`);
  if (!validate(response.body)) {
    throw new Error(`${method} ${pathTemplate} ${response.status} does not match its schema: ${ajv.errorsText(validate.errors)}`);
  }
}
