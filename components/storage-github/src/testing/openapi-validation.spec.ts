import { countLineChanges } from './line-diff';
import { GitHubOpenApi, toJsonSchema } from './openapi-validation';
import { allRoutes } from './routes/route-table';

const openApi = GitHubOpenApi.load();

describe('toJsonSchema', () => {
  it('turns OpenAPI nullable into JSON Schema type unions, with or without a type', () => {
    expect(toJsonSchema({ type: 'string', nullable: true })).toEqual({ type: ['string', 'null'] });
    expect(toJsonSchema({ type: 'string', enum: ['a'], nullable: true })).toEqual({ type: ['string', 'null'], enum: ['a', null] });
    expect(toJsonSchema({ nullable: true, oneOf: [{ $ref: '#/components/schemas/simple-user' }] })).toEqual({
      anyOf: [{ oneOf: [{ $ref: 'github-openapi#/$defs/simple-user' }] }, { type: 'null' }],
    });
    expect(toJsonSchema({ type: 'object', properties: { nullable: { type: 'boolean' } }, nullable: false })).toEqual({
      type: 'object',
      properties: { nullable: { type: 'boolean' } },
    });
  });
});

describe('GitHubOpenApi', () => {
  it('describes exactly the operations the server routes', () => {
    const routed = allRoutes(() => ({ limit: 1, remaining: 1, reset: 0, used: 0, resource: 'core' }))
      .filter((route) => !route.undocumented)
      .map((route) => `${route.method} ${route.template}`);
    expect([...routed].sort()).toEqual(openApi.operations().sort());
  });

  it('reports bodies, statuses and media types GitHub does not document', () => {
    expect(openApi.validateResponse('GET', '/repos/{owner}/{repo}', 200, 'application/json', { id: 1 }).length).toBeGreaterThan(0);
    expect(
      openApi.validateResponse('POST', '/repos/{owner}/{repo}/git/blobs', 200, 'application/json', { sha: 'x', url: 'http://h/x' }),
    ).toEqual(['status 200 is not documented for git/create-blob']);
    expect(
      openApi.validateResponse('POST', '/repos/{owner}/{repo}/git/blobs', 201, 'application/json', { sha: 'x', url: 'http://h/x' }),
    ).toEqual([]);
    expect(openApi.validateResponse('GET', '/repos/{owner}/{repo}/commits/{ref}', 200, 'text/html', 'x')).toEqual([
      'media type text/html is not documented for repos/get-commit 200',
    ]);
  });

  it('checks error statuses the description leaves out against basic-error', () => {
    expect(
      openApi.validateResponse('GET', '/orgs/{org}/repos', 404, 'application/json', {
        message: 'Not Found',
        documentation_url: 'https://docs.github.com/rest',
      }),
    ).toEqual([]);
    expect(openApi.validateResponse('GET', '/orgs/{org}/repos', 404, 'application/json', { message: 404 })).not.toEqual([]);
  });

  it("validates request bodies with the operation's schema, including nullable fields", () => {
    expect(
      openApi.validateRequestBody('POST', '/repos/{owner}/{repo}/git/trees', {
        tree: [{ path: 'a', mode: '100644', type: 'blob', sha: null }],
      }),
    ).toBeUndefined();
    expect(
      openApi.validateRequestBody('POST', '/repos/{owner}/{repo}/git/trees', {
        tree: [{ path: 'a', mode: '100600', type: 'blob', sha: null }],
      }),
    ).toMatchObject([{ keyword: 'enum', instancePath: '/tree/0/mode' }]);
    expect(openApi.validateRequestBody('GET', '/user', {})).toBeUndefined();
  });

  it("knows each operation's documentation URL", () => {
    expect(openApi.documentationUrl('PATCH', '/repos/{owner}/{repo}/git/refs/{ref}')).toBe(
      'https://docs.github.com/rest/git/refs#update-a-reference',
    );
    expect(openApi.documentationUrl('GET', '/nowhere')).toBe('https://docs.github.com/rest');
  });
});

describe('countLineChanges', () => {
  const count = (before: string | undefined, after: string | undefined) =>
    countLineChanges(before === undefined ? undefined : Buffer.from(before), after === undefined ? undefined : Buffer.from(after));

  it('counts lines like git diff --numstat', () => {
    expect(count(undefined, 'a\nb\n')).toEqual({ additions: 2, deletions: 0 });
    expect(count('a\nb\n', undefined)).toEqual({ additions: 0, deletions: 2 });
    expect(count('a\nb\nc\n', 'a\nB\nc\nd\n')).toEqual({ additions: 2, deletions: 1 });
    expect(count('x\ny\nz\n', 'y\nz\nx\n')).toEqual({ additions: 1, deletions: 1 });
    expect(count('same\n', 'same\n')).toEqual({ additions: 0, deletions: 0 });
  });

  it('counts nothing for binary files', () => {
    expect(countLineChanges(Buffer.from([0, 1]), Buffer.from([0, 2]))).toEqual({ additions: 0, deletions: 0 });
  });
});
