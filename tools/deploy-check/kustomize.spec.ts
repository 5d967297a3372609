import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { anyProcessVariables } from './variables';

// Renders every overlay with `kubectl kustomize` (offline) and checks it with k8s-check.mjs (kubernetes-models is ESM only,
// so the checks run in a Node child process): schemas, references, images, hardening. Then what each overlay promises.
const root = path.resolve(__dirname, '..', '..');
const checker = path.join(__dirname, 'k8s-check.mjs');
const base = path.join(root, 'deploy', 'k8s', 'base');

interface K8sObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly spec?: any;
  readonly data?: Record<string, string>;
}
interface OverlayResult {
  readonly overlay: string;
  readonly objects: readonly K8sObject[];
  readonly problems: readonly string[];
}

function check(...directories: string[]): { status: number | null; results: OverlayResult[]; stderr: string } {
  const run = spawnSync(process.execPath, [checker, '--json', ...directories], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 32 * 1024 * 1024,
  });
  return { status: run.status, results: run.stdout ? (JSON.parse(run.stdout) as OverlayResult[]) : [], stderr: run.stderr };
}

const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
const haveKubectl = kubectl.error === undefined && kubectl.status === 0;
if (!haveKubectl) console.warn('kustomize.spec: SKIPPED, kubectl is not on the PATH (it renders the overlays offline: /usr/bin/kubectl)');
const describeWithKubectl = haveKubectl ? describe : describe.skip;

const find = (result: OverlayResult, kind: string, name: string) => {
  const object = result.objects.find((candidate) => candidate.kind === kind && candidate.metadata.name === name);
  if (!object) throw new Error(`${result.overlay}: no ${kind}/${name}`);
  return object;
};
const configOf = (result: OverlayResult) => result.objects.find((object) => object.kind === 'ConfigMap')?.data ?? {};

describeWithKubectl('the kustomize overlays (deploy/k8s)', () => {
  let results: OverlayResult[];
  let dev: OverlayResult;
  let production: OverlayResult;

  beforeAll(() => {
    const run = check();
    expect(run.stderr).toBe('');
    results = run.results;
    dev = results.find((result) => result.overlay === 'deploy/k8s/overlays/dev')!;
    production = results.find((result) => result.overlay === 'deploy/k8s/overlays/production')!;
  });

  it('renders every overlay, each object valid against its schema, every reference, image and hardening rule satisfied', () => {
    expect(results.map((result) => result.overlay).sort()).toEqual(['deploy/k8s/overlays/dev', 'deploy/k8s/overlays/production']);
    for (const result of results)
      expect({ overlay: result.overlay, problems: result.problems }).toEqual({ overlay: result.overlay, problems: [] });
  });

  it('production: API, probes, PDB, HPA, migrations first, the CronJobs, the indexer, external Secret, NetworkPolicy', () => {
    const kinds = production.objects.map((object) => `${object.kind}/${object.metadata.name}`).sort();
    expect(kinds).toEqual(
      expect.arrayContaining([
        'CronJob/metastore-catalog-gc',
        'CronJob/metastore-sync-worker',
        'Deployment/metastore-api',
        'Deployment/metastore-search-indexer',
        'ExternalSecret/metastore-secrets',
        'HorizontalPodAutoscaler/metastore-api',
        'NetworkPolicy/metastore-default-deny',
        'PodDisruptionBudget/metastore-api',
        'Service/metastore-api',
      ]),
    );
    expect(production.objects.some((object) => object.kind === 'Secret')).toBe(false);
    expect(production.objects.every((object) => object.kind === 'Namespace' || object.metadata.namespace === 'metastore')).toBe(true);

    const api = find(production, 'Deployment', 'metastore-api').spec;
    expect(api.strategy.rollingUpdate).toEqual({ maxUnavailable: 0, maxSurge: 1 });
    const pod = api.template.spec;
    expect(pod.initContainers.map((container: { command: string[] }) => container.command)).toEqual([['metastore-migrate']]);
    const [container] = pod.containers;
    expect(container.readinessProbe.httpGet.path).toBe('/readyz');
    expect(container.livenessProbe.httpGet.path).toBe('/healthz');
    expect(container.lifecycle.preStop.exec.command[0]).toBe('sleep');
    expect(pod.volumes.find((volume: { name: string }) => volume.name === 'tmp').emptyDir).toBeDefined();
    expect(find(production, 'HorizontalPodAutoscaler', 'metastore-api').spec.minReplicas).toBeGreaterThanOrEqual(2);

    const sync = find(production, 'CronJob', 'metastore-sync-worker').spec;
    expect(sync.concurrencyPolicy).toBe('Forbid');
    expect(sync.jobTemplate.spec.template.spec.containers[0].env).toContainEqual({ name: 'SYNC_MODE', value: 'once' });
    const gc = find(production, 'CronJob', 'metastore-catalog-gc').spec;
    expect(gc.concurrencyPolicy).toBe('Forbid');
    expect(gc.jobTemplate.spec.template.spec.containers[0].command.slice(0, 3)).toEqual(['metastore', 'catalog', 'gc']);

    expect(configOf(production)).toMatchObject({ STORAGE: 'github', METASTORE_DATA_DIR: '/data' });
    expect(configOf(production).DATABASE_URL).toBeUndefined();
  });

  it('dev: one API pod on the embedded defaults with a data volume, a generated placeholder Secret, nothing that needs a server', () => {
    const api = find(dev, 'Deployment', 'metastore-api').spec;
    expect(api.replicas).toBe(1);
    expect(api.strategy).toEqual({ type: 'Recreate' });
    expect(api.template.spec.initContainers).toBeUndefined();
    const data = api.template.spec.volumes.find((volume: { name: string }) => volume.name === 'data');
    expect(data).toEqual({ name: 'data', persistentVolumeClaim: { claimName: 'metastore-data' } });
    const secret = dev.objects.find((object) => object.kind === 'Secret')!;
    expect(secret.metadata.name).toMatch(/^metastore-secrets-/);
    expect(Object.keys(secret.data ?? {})).toEqual(['METASTORE_JWT_SECRET']);
    expect(configOf(dev)).toMatchObject({ STORAGE: 'local' });
    expect(configOf(dev).DATABASE_URL).toBeUndefined();
    expect(dev.objects.map((object) => object.kind)).not.toEqual(expect.arrayContaining(['CronJob']));
    expect(dev.objects.map((object) => object.kind)).not.toContain('HorizontalPodAutoscaler');
  });

  it('sets through its ConfigMap and Secret only variables some Metastore process reads', () => {
    const known = anyProcessVariables();
    for (const result of results) {
      const keys = result.objects.flatMap((object) => {
        if (object.kind === 'ConfigMap' || object.kind === 'Secret') return Object.keys(object.data ?? {});
        if (object.kind === 'ExternalSecret') return (object.spec.data as { secretKey: string }[]).map((entry) => entry.secretKey);
        return [];
      });
      expect(keys.length).toBeGreaterThan(0);
      expect({ overlay: result.overlay, unknown: keys.filter((key) => !known.has(key)) }).toEqual({ overlay: result.overlay, unknown: [] });
    }
  });

  describe('finds what is wrong in an overlay', () => {
    let directory: string;
    beforeAll(() => {
      directory = mkdtempSync(path.join(tmpdir(), 'metastore-overlay-'));
      const relativeBase = path.relative(directory, base);
      writeFileSync(
        path.join(directory, 'kustomization.yaml'),
        [
          'resources:',
          `  - ${relativeBase}`,
          '  - broken-service.yaml',
          'images:',
          '  - name: metastore/metadata-api',
          '    newTag: "1.0"',
          '  - name: metastore/sync-worker',
          '    newName: example/sync',
          '    newTag: "1.0"',
          '  - name: metastore/search-indexer',
          '    newTag: "1.1"',
          'patches:',
          '  - target: { kind: Deployment, name: metastore-search-indexer }',
          '    patch: |-',
          '      - op: replace',
          '        path: /spec/template/spec/containers/0/securityContext/readOnlyRootFilesystem',
          '        value: false',
          '',
        ].join('\n'),
      );
      writeFileSync(
        path.join(directory, 'broken-service.yaml'),
        'apiVersion: v1\nkind: Service\nmetadata:\n  name: broken\nspec:\n  selector: { app: nothing }\n  ports:\n    - port: eighty\n',
      );
    });
    afterAll(() => rmSync(directory, { recursive: true, force: true }));

    it('a missing Secret, a foreign image, two tags, a writable root filesystem, a schema violation, a selector matching nothing', () => {
      const run = check(directory);
      expect(run.status).toBe(1);
      const problems = run.results[0]!.problems;
      expect(problems).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^Deployment\/metastore-api container api: Secret metastore-secrets is not in the render$/),
          expect.stringMatching(
            /^CronJob\/metastore-sync-worker container sync-worker: image example\/sync:1.0 is none the Dockerfiles build/,
          ),
          expect.stringMatching(/^images carry several tags: /),
          'Deployment/metastore-search-indexer container search-indexer: root filesystem is not read-only',
          expect.stringMatching(/^Service\/broken: does not match the v1\/Service schema: .*port must be integer/),
          'Service/broken: selects no pod template',
        ]),
      );
    });
  });

  it('kubectl kustomize refuses an overlay whose patch names nothing (a typo fails CI, not the cluster)', () => {
    const directory = mkdtempSync(path.join(tmpdir(), 'metastore-overlay-'));
    try {
      writeFileSync(
        path.join(directory, 'kustomization.yaml'),
        `resources:\n  - ${path.relative(directory, base)}\npatches:\n  - patch: |-\n      $patch: delete\n      apiVersion: batch/v1\n      kind: CronJob\n      metadata:\n        name: metastore-sync-wroker\n`,
      );
      expect(() => execFileSync('kubectl', ['kustomize', directory], { stdio: 'pipe' })).toThrow();
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
