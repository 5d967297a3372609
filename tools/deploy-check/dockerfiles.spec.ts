import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

// No Docker engine here: the images' structure is checked from the Dockerfiles, and the pieces they copy (the CLI wrapper,
// the prune script) are run for real. tools/deploy-check/runtime-tree.sh builds and runs the whole /app without Docker.
const root = path.resolve(__dirname, '..', '..');
const projects = readdirSync(path.join(root, 'projects')).filter((project) =>
  existsSync(path.join(root, 'projects', project, 'Dockerfile')),
);

interface Instruction {
  readonly keyword: string;
  readonly args: string;
}

/** The instructions of a Dockerfile by stage (continuation lines joined, comments dropped). */
function stages(file: string): Instruction[][] {
  const text = readFileSync(file, 'utf8').replace(/\\\n/g, ' ');
  const result: Instruction[][] = [];
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const [keyword, ...rest] = trimmed.split(/\s+/);
    const instruction = { keyword: keyword!.toUpperCase(), args: rest.join(' ') };
    if (instruction.keyword === 'FROM') result.push([]);
    result[result.length - 1]!.push(instruction);
  }
  return result;
}

const bundles = [...readFileSync(path.join(root, 'tools', 'build.mjs'), 'utf8').matchAll(/name: '([a-z-]+)'/g)].map((match) => match[1]);

describe.each(projects)('projects/%s/Dockerfile', (project) => {
  const all = stages(path.join(root, 'projects', project, 'Dockerfile'));
  const runtime = all[all.length - 1]!;
  const build = all.flat();
  const args = (keyword: string) => runtime.filter((instruction) => instruction.keyword === keyword).map((instruction) => instruction.args);

  it('builds from pinned Node images in stages, and installs from the lockfile only (npm ci, production dependencies pruned)', () => {
    expect(all.length).toBeGreaterThanOrEqual(2);
    for (const stage of all) expect(stage[0]!.args).toMatch(/^node:20\.\d+-bookworm-slim( AS \w+)?$/);
    const runs = build.filter((instruction) => instruction.keyword === 'RUN').map((instruction) => instruction.args);
    expect(runs.join('\n')).not.toMatch(/npm (install|i) /);
    expect(runs.some((run) => /npm ci --ignore-scripts/.test(run))).toBe(true);
    expect(runs.some((run) => /npm ci --omit=dev --ignore-scripts/.test(run) && /prune-node-modules\.sh/.test(run))).toBe(true);
    // Nothing is installed in the runtime stage but tini: its node_modules come whole from the build stage.
    expect(args('RUN').join('\n')).not.toMatch(/npm /);
    expect(args('COPY')).toContain('--from=build /runtime/node_modules ./node_modules');
  });

  it('runs as a numeric non-root user under tini, its own bundle, with the metastore CLI and metastore-migrate on the PATH', () => {
    const user = args('USER');
    expect(user).toHaveLength(1);
    expect(user[0]).toMatch(/^[1-9]\d*(:\d+)?$/);
    expect(args('ENTRYPOINT')).toEqual(['["/usr/bin/tini", "--"]']);
    expect(bundles).toContain(project);
    expect(args('CMD')).toEqual([`["node", "dist/${project}/main.js"]`]);
    expect(args('COPY')).toEqual(
      expect.arrayContaining([
        `--from=build /workspace/dist/${project}/main.js ./dist/${project}/main.js`,
        '--from=build /workspace/dist/cli/main.js ./dist/cli/main.js',
        '--chmod=0755 docker/runtime/metastore docker/runtime/metastore-migrate ./bin/',
        '--from=build /workspace/components/catalog-postgres/prisma ./catalog-postgres/prisma',
      ]),
    );
    const env = args('ENV').join(' ');
    expect(env).toContain('PATH=/app/bin:$PATH');
    expect(env).toContain('METASTORE_HOME=/app');
    expect(env).toContain('METASTORE_PRISMA_CONFIG=/app/catalog-postgres/prisma.config.ts');
  });

  it(project === 'metadata-api' ? 'checks its health at /readyz' : 'has no HTTP health check (no port)', () => {
    const health = args('HEALTHCHECK');
    if (project === 'metadata-api') {
      expect(health).toHaveLength(1);
      expect(health[0]).toMatch(/\/readyz/);
      expect(args('EXPOSE')).toEqual(['3000']);
    } else {
      expect(health).toEqual([]);
    }
  });
});

describe('what the images copy', () => {
  it('every image has the same build stages, instruction for instruction (the second build reuses the first’s layers)', () => {
    const buildStages = projects.map((project) => stages(path.join(root, 'projects', project, 'Dockerfile')).slice(0, -1));
    expect(projects.length).toBeGreaterThan(1);
    for (const stagesOf of buildStages) expect(stagesOf).toEqual(buildStages[0]);
  });

  it('.dockerignore keeps the checkout’s node_modules, dist, data, .git and the generated client out of the build context', () => {
    const ignored = readFileSync(path.join(root, '.dockerignore'), 'utf8').split('\n');
    expect(ignored).toEqual(
      expect.arrayContaining(['.git', '**/node_modules', 'dist', 'data', 'components/catalog-postgres/src/generated']),
    );
  });

  it('the metastore wrapper runs dist/cli/main.js under METASTORE_HOME with its arguments', () => {
    if (!existsSync(path.join(root, 'dist', 'cli', 'main.js'))) execFileSync(process.execPath, ['tools/build.mjs'], { cwd: root });
    const help = execFileSync(path.join(root, 'docker', 'runtime', 'metastore'), ['token', '--help'], {
      env: { ...process.env, METASTORE_HOME: root },
      encoding: 'utf8',
    });
    expect(help).toMatch(/^Usage: metastore token --sub SUBJECT/);
    const gc = execFileSync(path.join(root, 'docker', 'runtime', 'metastore'), ['catalog', 'gc', '--help'], {
      env: { ...process.env, METASTORE_HOME: root },
      encoding: 'utf8',
    });
    expect(gc).toMatch(/^Usage: metastore catalog gc/);
  });

  it('metastore-migrate refuses to run without DATABASE_URL', () => {
    let failure: { status?: number; stderr?: Buffer } | undefined;
    try {
      execFileSync(path.join(root, 'docker', 'runtime', 'metastore-migrate'), [], {
        env: { PATH: process.env.PATH, METASTORE_HOME: root },
        stdio: 'pipe',
      });
    } catch (error) {
      failure = error as typeof failure;
    }
    expect(failure?.status).not.toBe(0);
    expect(String(failure?.stderr)).toContain('DATABASE_URL must be set');
  });

  it('the prune script keeps what the generated Prisma client and the Prisma CLI load, and drops what nothing loads', () => {
    const modules = mkdtempSync(path.join(tmpdir(), 'metastore-prune-'));
    const files = {
      kept: [
        '@prisma/client/runtime/client.js',
        '@prisma/client/runtime/query_compiler_bg.postgresql.js',
        '@prisma/client/runtime/query_compiler_bg.postgresql.wasm-base64.js',
        'prisma/build/index.js',
        'prisma/build/schema_engine_bg.wasm',
        'prisma/build/query_compiler_bg.postgresql.wasm',
        'effect/dist/cjs/index.js',
        'pino/pino.js',
      ],
      dropped: [
        '@prisma/client/runtime/query_engine_bg.postgresql.wasm-base64.js',
        '@prisma/client/runtime/query_compiler_bg.mysql.js',
        '@prisma/client/runtime/client.mjs',
        '@prisma/client/runtime/library.js',
        'prisma/build/query_engine_bg.postgresql.wasm',
        'prisma/build/query_compiler_bg.sqlite.wasm',
        'prisma/build/public/index.html',
        'effect/src/index.ts',
        'typescript/lib/typescript.js',
        '@types/node/index.d.ts',
        'pino/pino.d.ts',
        'pino/pino.js.map',
      ],
    };
    try {
      for (const file of [...files.kept, ...files.dropped]) {
        mkdirSync(path.dirname(path.join(modules, file)), { recursive: true });
        writeFileSync(path.join(modules, file), 'x');
      }
      execFileSync('sh', [path.join(root, 'docker', 'runtime', 'prune-node-modules.sh'), modules]);
      expect(files.kept.filter((file) => !existsSync(path.join(modules, file)))).toEqual([]);
      expect(files.dropped.filter((file) => existsSync(path.join(modules, file)))).toEqual([]);
    } finally {
      rmSync(modules, { recursive: true, force: true });
    }
  });
});
