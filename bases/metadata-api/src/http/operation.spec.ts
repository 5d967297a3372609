import { openApiDocument } from '../openapi/document';
import { API_OPERATIONS } from '../routes/operations';
import { defineOperation, documentedPath, documentedPaths } from './operation';

const declared = (path: string, pathParameters?: object[]) =>
  defineOperation({
    operationId: 'health',
    method: 'get',
    path,
    tags: [],
    summary: 'probe',
    ...(pathParameters ? { pathParameters } : {}),
    responses: {},
    policy: { operation: 'health' },
    handler: () => undefined,
  });

describe('metadata-api operations: one declaration yields the route and the document', () => {
  it('documents every declared operation at its path and method, under its operationId, and nothing else', () => {
    const document = openApiDocument({ bodyLimitBytes: 1 }) as { paths: Record<string, Record<string, { operationId?: string }>> };
    const fromDocument = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.entries(item)
        .filter(([method]) => method !== 'parameters' && method !== 'servers')
        .map(([method, operation]) => `${method} ${path} ${operation.operationId}`),
    );
    const fromDeclarations = API_OPERATIONS.filter((operation) => operation.documented !== false).map(
      (operation) => `${operation.method} ${documentedPath(operation.path)} ${operation.operationId}`,
    );
    expect(fromDocument.sort()).toEqual(fromDeclarations.sort());
  });

  it('writes Express parameters and wildcards as OpenAPI templates', () => {
    expect(documentedPath('/datasets/:owner/:name/tags/*tag')).toBe('/datasets/{owner}/{name}/tags/{tag}');
  });

  it('refuses a path parameter without documentation, and a method declared twice on a path', () => {
    expect(() => documentedPaths([declared('/things/:id')])).toThrow('path parameter id is not documented');
    const documented = declared('/things/:id', [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }]);
    expect(() => documentedPaths([documented, documented])).toThrow('GET /things/{id} is declared twice');
  });
});
