import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startTestServer, TEST_JWT_SECRET, type TestServer } from './testing/test-server';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../../..');

/** The README's walkthrough: the `sh` block under "## Walkthrough (curl)", as a reader copies it. */
async function walkthroughScript(): Promise<string> {
  const readme = await readFile(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.split(/^## Walkthrough \(curl\)$/m)[1]?.split(/^## /m)[0] ?? '';
  const block = /^```sh\n([\s\S]*?)^```$/m.exec(section)?.[1];
  if (block === undefined) throw new Error('README.md has no sh block under "## Walkthrough (curl)"');
  return block;
}

/**
 * Runs before the walkthrough, in the same shell: `npm run -s metastore -- ...` is the CLI from source (the built
 * bundle may be stale or absent in a test run), and every curl call records its status, method, URL and body (a file)
 * on stderr, its output passing through unchanged.
 */
const PRELUDE = String.raw`
set -euo pipefail
npm() {
  if [ "$#" -ge 4 ] && [ "$1 $2 $3 $4" = "run -s metastore --" ]; then
    shift 4
    node --import tsx "$WALKTHROUGH_ROOT/bases/sync-worker/src/cli-main.ts" "$@"
  else
    echo "the walkthrough ran an npm command the spec does not know: npm $*" >&2
    return 97
  fi
}
curl() {
  local body
  body=$(mktemp "$WALKTHROUGH_CALLS/body.XXXXXX")
  command curl "$@" -w "%{stderr}walkthrough-call %{http_code} %{method} %{url_effective} $body\n" | tee "$body"
}
`;

interface Call {
  readonly status: number;
  readonly method: string;
  readonly path: string;
  readonly body: string;
}

describe('README walkthrough, run as written against a real API', () => {
  let server: TestServer;
  let scratch: string;
  let calls: Call[];
  let stdout: string;

  beforeAll(async () => {
    server = await startTestServer();
    scratch = await mkdtemp(path.join(os.tmpdir(), 'metastore-walkthrough-'));
    expect(existsSync(path.join(ROOT, 'air-quality'))).toBe(false);
    const script = await walkthroughScript();
    const result = await run('bash', ['-c', `${PRELUDE}\n${script}`], {
      cwd: ROOT,
      timeout: 50_000,
      maxBuffer: 16 * 1024 * 1024,
      env: {
        PATH: process.env['PATH'] ?? '/usr/bin:/bin',
        HOME: process.env['HOME'] ?? scratch,
        TMPDIR: scratch,
        PORT: new URL(server.baseUrl).port,
        METASTORE_DATA_DIR: server.dataDir,
        // The test server verifies with this secret, as `npm start` does with its generated one.
        METASTORE_JWT_SECRET: TEST_JWT_SECRET,
        WALKTHROUGH_ROOT: ROOT,
        WALKTHROUGH_CALLS: scratch,
      },
    });
    stdout = result.stdout;
    calls = await Promise.all(
      result.stderr
        .split('\n')
        .filter((line) => line.startsWith('walkthrough-call '))
        .map(async (line) => {
          const [, status, method, url, bodyFile] = line.split(' ') as [string, string, string, string, string];
          const { pathname, search } = new URL(url);
          return { status: Number(status), method, path: `${pathname}${search}`, body: await readFile(bodyFile, 'utf8') };
        }),
    );
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  const json = (call: Call | undefined) => JSON.parse(call?.body ?? 'null') as Record<string, unknown> & { items?: unknown[] };

  it('makes every call with the answer it describes, in order', () => {
    expect(calls.map((call) => `${call.status} ${call.method} ${call.path.replace(/\?.*/, '')}`)).toEqual([
      '201 POST /api/v1/datasets',
      '200 HEAD /api/v1/datasets/acme/air-quality',
      '200 PATCH /api/v1/datasets/acme/air-quality',
      '200 GET /api/v1/datasets',
      '201 POST /api/v1/datasets/acme/air-quality/tags',
      '200 GET /api/v1/datasets/acme/air-quality',
      '200 GET /api/v1/datasets/acme/air-quality/revisions',
      '200 GET /api/v1/datasets/acme/air-quality/diff',
      '200 POST /api/v1/datasets/acme/air-quality/revert',
      '200 GET /api/v1/events',
      '201 POST /api/v1/tokens',
      '200 GET /api/v1/datasets/acme/air-quality/tags/v1.0',
      '204 POST /api/v1/tokens/revoke',
      '401 GET /api/v1/datasets/acme/air-quality/tags/v1.0',
    ]);
  });

  it('finds the dataset it created in the search', () => {
    const search = calls.find((call) => call.path.startsWith('/api/v1/datasets?'));
    expect(json(search).items).toEqual([expect.objectContaining({ id: 'acme/air-quality', keywords: ['air', 'pollution'] })]);
  });

  it("follows acme's change feed as an admin of acme: every change it made, oldest first", () => {
    const feed = calls.find((call) => call.path.startsWith('/api/v1/events'));
    const events = (json(feed).items ?? []) as { event: { type: string; subject: string } }[];
    expect(events.map(({ event }) => `${event.type} ${event.subject}`)).toEqual([
      'dataset.created acme/air-quality',
      'dataset.updated acme/air-quality',
      'tag.created acme/air-quality',
      'dataset.reverted acme/air-quality',
    ]);
  });

  it('revokes the minted token it saved, which then gets 401', () => {
    const minted = json(calls.find((call) => call.path === '/api/v1/tokens'));
    expect(minted).toMatchObject({
      subject: 'alice',
      actor: 'ci-nightly',
      scopes: ['obj:acme/air-quality:read', 'obj:acme/air-quality:tag'],
    });
    expect(json(calls.at(-1))).toMatchObject({ code: 'UNAUTHENTICATED', detail: 'the token has been revoked' });
  });

  it('clones the repository outside the checkout and shows its history', () => {
    // curl prints no newline after a body, so the log starts on the revert's line.
    expect(stdout).toMatch(/[0-9a-f]{7,} Revert acme\/air-quality to [0-9a-f]{40}\n[0-9a-f]{7,} Add keywords\n[0-9a-f]{7,} First import$/m);
    expect(existsSync(path.join(ROOT, 'air-quality'))).toBe(false);
  });
});
