// Writes the part of GitHub's OpenAPI description that the local GitHub test server implements.
// Usage: node tools/github-openapi/trim.mjs
// Fetches @octokit/openapi with `npm pack` into a temporary directory (the package unpacks to 385 MB,
// so it is never a dependency), keeps the operations listed below and every component they
// reference, transitively, and writes components/storage-github/src/testing/github-openapi.subset.json.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE = '@octokit/openapi';
const VERSION = '23.0.2';
const SOURCE_FILE = 'package/generated/api.github.com.json';
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const target = path.join(root, 'components/storage-github/src/testing/github-openapi.subset.json');

/** The operations the test server implements: keep in step with its route table (a spec checks both ways). */
const OPERATIONS = [
  ['post', '/orgs/{org}/repos'],
  ['get', '/orgs/{org}/repos'],
  ['post', '/user/repos'],
  ['get', '/users/{username}/repos'],
  ['get', '/repos/{owner}/{repo}'],
  ['delete', '/repos/{owner}/{repo}'],
  ['get', '/repos/{owner}/{repo}/topics'],
  ['put', '/repos/{owner}/{repo}/topics'],
  ['get', '/repos/{owner}/{repo}/commits'],
  ['get', '/repos/{owner}/{repo}/commits/{ref}'],
  ['get', '/repos/{owner}/{repo}/contents/{path}'],
  ['put', '/repos/{owner}/{repo}/contents/{path}'],
  ['delete', '/repos/{owner}/{repo}/contents/{path}'],
  ['get', '/orgs/{org}'],
  ['get', '/users/{username}'],
  ['post', '/repos/{owner}/{repo}/git/blobs'],
  ['get', '/repos/{owner}/{repo}/git/blobs/{file_sha}'],
  ['post', '/repos/{owner}/{repo}/git/trees'],
  ['get', '/repos/{owner}/{repo}/git/trees/{tree_sha}'],
  ['post', '/repos/{owner}/{repo}/git/commits'],
  ['get', '/repos/{owner}/{repo}/git/commits/{commit_sha}'],
  ['get', '/repos/{owner}/{repo}/git/ref/{ref}'],
  ['get', '/repos/{owner}/{repo}/git/matching-refs/{ref}'],
  ['post', '/repos/{owner}/{repo}/git/refs'],
  ['patch', '/repos/{owner}/{repo}/git/refs/{ref}'],
  ['delete', '/repos/{owner}/{repo}/git/refs/{ref}'],
  ['post', '/repos/{owner}/{repo}/git/tags'],
  ['get', '/repos/{owner}/{repo}/git/tags/{tag_sha}'],
  ['get', '/rate_limit'],
  ['get', '/user'],
  ['get', '/app'],
  ['get', '/orgs/{org}/installation'],
  ['get', '/users/{username}/installation'],
  ['post', '/app/installations/{installation_id}/access_tokens'],
];

function fetchSpec() {
  const work = mkdtempSync(path.join(os.tmpdir(), 'github-openapi-'));
  try {
    const packed = execFileSync('npm', ['pack', `${PACKAGE}@${VERSION}`, '--pack-destination', work, '--silent'], {
      cwd: work,
      encoding: 'utf8',
    })
      .trim()
      .split('\n')
      .pop();
    execFileSync('tar', ['-xzf', path.join(work, packed), '-C', work, SOURCE_FILE]);
    return readFileSync(path.join(work, SOURCE_FILE));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Calls `visit` with every `$ref` string found anywhere in `value`. */
function collectRefs(value, visit) {
  if (Array.isArray(value)) {
    for (const item of value) collectRefs(item, visit);
  } else if (value && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      if (key === '$ref' && typeof child === 'string') visit(child);
      else collectRefs(child, visit);
    }
  }
}

function sortedObject(entries) {
  return Object.fromEntries([...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

const raw = fetchSpec();
const spec = JSON.parse(raw.toString('utf8'));

const paths = {};
for (const [method, route] of OPERATIONS) {
  const operation = spec.paths[route]?.[method];
  if (!operation) throw new Error(`${method.toUpperCase()} ${route} is not in ${PACKAGE}@${VERSION}`);
  paths[route] ??= {};
  paths[route][method] = operation;
}

// Components are addressed as #/components/<section>/<name>; follow references until none is new.
const kept = new Map();
const pending = [];
const visit = (ref) => {
  const match = /^#\/components\/([^/]+)\/(.+)$/.exec(ref);
  if (!match) throw new Error(`unexpected reference ${ref}`);
  if (!kept.has(ref)) {
    const [, section, name] = match;
    const component = spec.components[section]?.[name];
    if (!component) throw new Error(`dangling reference ${ref}`);
    kept.set(ref, { section, name, component });
    pending.push(component);
  }
};
collectRefs(paths, visit);
while (pending.length > 0) collectRefs(pending.pop(), visit);

const components = {};
for (const { section, name, component } of kept.values()) {
  components[section] ??= {};
  components[section][name] = component;
}

const subset = {
  openapi: spec.openapi,
  info: {
    ...spec.info,
    'x-metastore-subset': {
      source: `${PACKAGE}@${VERSION}/${SOURCE_FILE.replace(/^package\//, '')}`,
      sha256: createHash('sha256').update(raw).digest('hex'),
      generator: 'tools/github-openapi/trim.mjs',
    },
  },
  servers: spec.servers,
  paths: sortedObject(Object.entries(paths)),
  components: sortedObject(Object.entries(components).map(([section, entries]) => [section, sortedObject(Object.entries(entries))])),
};

const text = `${JSON.stringify(subset, null, 1)}\n`;
writeFileSync(target, text);
const counts = Object.entries(components)
  .map(([section, entries]) => `${Object.keys(entries).length} ${section}`)
  .join(', ');
console.log(`wrote ${path.relative(root, target)}: ${OPERATIONS.length} operations, ${counts}, ${Buffer.byteLength(text)} bytes`);
