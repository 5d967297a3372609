import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { variablesOf } from './variables';

// docker/compose.yaml, checked offline (no Docker engine, no compose plugin here; where `docker compose` exists, its own
// `config -q` runs too): services, dependencies, volumes, images, health checks, the proxy's upstreams, the variables.
const root = path.resolve(__dirname, '..', '..');
const composeFile = path.join(root, 'docker', 'compose.yaml');

interface Service {
  readonly image?: string;
  readonly build?: { readonly context: string; readonly dockerfile: string };
  readonly command?: readonly string[];
  readonly environment?: Record<string, string>;
  readonly volumes?: readonly string[];
  readonly depends_on?: Record<string, { readonly condition: string }>;
  readonly restart?: string;
  readonly healthcheck?: { readonly test: readonly string[] };
  readonly read_only?: boolean;
  readonly tmpfs?: readonly string[];
}
interface ComposeFile {
  readonly services: Record<string, Service>;
  readonly volumes: Record<string, unknown>;
}

const compose = parse(readFileSync(composeFile, 'utf8'), { merge: true }) as ComposeFile;
const services = compose.services;
const metastoreServices = Object.entries(services).filter(([, service]) => service.image?.startsWith('metastore/'));

describe('docker/compose.yaml', () => {
  it('has two API replicas behind the proxy, the migration, the worker in a loop, the indexer, PostgreSQL and Redis', () => {
    expect(Object.keys(services).sort()).toEqual([
      'api',
      'api-2',
      'migrate',
      'postgres',
      'proxy',
      'redis',
      'search-indexer',
      'sync-worker',
    ]);
    const apis = metastoreServices.filter(([, service]) => service.image?.startsWith('metastore/metadata-api:') && !service.command);
    expect(apis.map(([name]) => name)).toEqual(['api', 'api-2']);
    expect(services['sync-worker']!.environment).toMatchObject({ SYNC_MODE: 'loop' });
    expect(services.migrate!.command).toEqual(['metastore-migrate']);
  });

  it('starts the APIs and the worker only after the migration completed, every dependency naming a service', () => {
    const conditions = new Set(['service_started', 'service_healthy', 'service_completed_successfully']);
    for (const [name, service] of Object.entries(services))
      for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
        expect({ name, dependency, known: dependency in services }).toEqual({ name, dependency, known: true });
        expect(conditions.has(condition)).toBe(true);
        // Waiting for health needs a health check to wait for.
        if (condition === 'service_healthy')
          expect({ dependency, healthcheck: Boolean(services[dependency]!.healthcheck) }).toEqual({ dependency, healthcheck: true });
      }
    for (const name of ['api', 'api-2', 'sync-worker'])
      expect(services[name]!.depends_on?.migrate).toEqual({ condition: 'service_completed_successfully' });
    expect(services.migrate!.depends_on?.postgres).toEqual({ condition: 'service_healthy' });
    expect(services.proxy!.depends_on).toEqual({ api: { condition: 'service_healthy' }, 'api-2': { condition: 'service_healthy' } });
  });

  it('restarts every long-running service and never the one-shot migration', () => {
    for (const [name, service] of Object.entries(services))
      expect({ name, restart: service.restart }).toEqual({ name, restart: name === 'migrate' ? 'no' : 'unless-stopped' });
  });

  it('mounts only declared volumes and files that exist, and runs Metastore read-only with a /tmp', () => {
    for (const [name, service] of Object.entries(services))
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0]!;
        if (source.startsWith('.') || source.startsWith('/'))
          expect({ name, source, exists: existsSync(path.resolve(root, 'docker', source)) }).toEqual({ name, source, exists: true });
        else expect({ name, source, declared: source in compose.volumes }).toEqual({ name, source, declared: true });
      }
    const used = new Set(Object.values(services).flatMap((service) => (service.volumes ?? []).map((volume) => volume.split(':')[0])));
    expect(Object.keys(compose.volumes).filter((volume) => !used.has(volume))).toEqual([]);
    for (const [name, service] of metastoreServices)
      expect({ name, readOnly: service.read_only, tmpfs: service.tmpfs }).toEqual({ name, readOnly: true, tmpfs: ['/tmp'] });
  });

  it('builds each Metastore image from the Dockerfile of the project it names', () => {
    for (const [name, service] of metastoreServices) {
      const project = /^metastore\/([a-z-]+):/.exec(service.image!)![1]!;
      expect({ name, dockerfile: service.build?.dockerfile, context: service.build?.context }).toEqual({
        name,
        dockerfile: `projects/${project}/Dockerfile`,
        context: '..',
      });
      expect(existsSync(path.join(root, 'projects', project, 'Dockerfile'))).toBe(true);
    }
  });

  it('checks the APIs at /readyz, and the proxy sends to exactly the API services on their port', () => {
    for (const name of ['api', 'api-2']) expect(services[name]!.healthcheck!.test.join(' ')).toContain('http://127.0.0.1:3000/readyz');
    const caddyfile = readFileSync(path.join(root, 'docker', 'Caddyfile'), 'utf8');
    const upstreams = /reverse_proxy \{\$METASTORE_UPSTREAMS:([^}]+)\}/.exec(caddyfile)![1]!.split(' ');
    expect(upstreams).toEqual(['api:3000', 'api-2:3000']);
    expect(caddyfile).toMatch(/health_uri \/readyz/);
    expect(caddyfile).toMatch(/keepalive off/);
  });

  it('sets only variables the process in each service reads, with a default for every ${...} it interpolates', () => {
    const processOf: Record<string, 'api' | 'worker' | 'indexer' | 'cli'> = {
      api: 'api',
      'api-2': 'api',
      migrate: 'cli',
      'sync-worker': 'worker',
      'search-indexer': 'indexer',
    };
    for (const [name, service] of metastoreServices) {
      const known = variablesOf(processOf[name]!);
      const unknown = Object.keys(service.environment ?? {}).filter((variable) => !known.has(variable));
      expect({ name, unknown }).toEqual({ name, unknown: [] });
    }
    const text = readFileSync(composeFile, 'utf8');
    const withoutDefault = [...text.matchAll(/\$\{([A-Z_]+)(:-[^}]*)?\}/g)].filter((match) => !match[2]).map((match) => match[1]);
    expect(withoutDefault).toEqual([]);
  });

  const docker = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' });
  (docker.status === 0 ? it : it.skip)('is valid for `docker compose config -q` (where the compose plugin is installed)', () => {
    const run = spawnSync('docker', ['compose', '-f', composeFile, 'config', '-q'], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });
});
