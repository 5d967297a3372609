import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SchemaValidator } from '@metastore/git-host-test-server';
import type { ErrorObject } from 'ajv';

export type { SchemaViolation } from '@metastore/git-host-test-server';

type JsonObject = { [key: string]: unknown };

interface OperationResponse {
  readonly content?: Record<string, { schema?: JsonObject }>;
}

interface Operation {
  readonly operationId: string;
  readonly externalDocs?: { url: string };
  readonly requestBody?: { content?: Record<string, { schema?: JsonObject }> };
  readonly responses: Record<string, OperationResponse | { $ref: string }>;
}

interface OpenApiDocument {
  readonly paths: Record<string, Record<string, Operation>>;
  readonly components: { schemas: Record<string, JsonObject>; responses?: Record<string, OperationResponse> };
}

const SCHEMA_ID = 'github-openapi';
const GENERIC_DOCUMENTATION = 'https://docs.github.com/rest';

/**
 * Rewrites an OpenAPI 3.0 schema into JSON Schema for ajv: `nullable: true` becomes a type union
 * (or `anyOf [..., null]` when there is no `type`), and component references point into one
 * registered schema.
 */
export function toJsonSchema(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toJsonSchema);
  if (!value || typeof value !== 'object') return value;
  const { nullable, ...rest } = value as JsonObject;
  const result: JsonObject = {};
  for (const [name, child] of Object.entries(rest)) {
    if (name === '$ref' && typeof child === 'string') result[name] = child.replace(/^#\/components\/schemas\//, `${SCHEMA_ID}#/$defs/`);
    else if (name === 'properties' || name === 'patternProperties' || name === '$defs') {
      result[name] = Object.fromEntries(Object.entries(child as JsonObject).map(([key, schema]) => [key, toJsonSchema(schema)]));
    } else result[name] = toJsonSchema(child);
  }
  if (nullable !== true) return result;
  if (typeof result.type === 'string') {
    result.type = [result.type, 'null'];
    if (Array.isArray(result.enum) && !result.enum.includes(null)) result.enum = [...result.enum, null];
    return result;
  }
  if (Array.isArray(result.type)) {
    if (!result.type.includes('null')) result.type = [...result.type, 'null'];
    return result;
  }
  return { anyOf: [result, { type: 'null' }] };
}

/**
 * The message GitHub answers a request body that does not fit the operation's schema with, e.g.
 * `Invalid request.\n\n"tree" wasn't supplied.` (built from ajv's first error, so an approximation).
 */
export function invalidRequestMessage(errors: readonly ErrorObject[]): string {
  const error = errors[0];
  if (!error) return 'Invalid request.';
  const params = error.params as { missingProperty?: string; type?: string; allowedValues?: unknown[]; format?: string };
  const location =
    error.instancePath
      .split('/')
      .filter((part) => part !== '')
      .map((part) => (/^\d+$/.test(part) ? 'items' : `properties/${part}`))
      .join('/') || 'properties';
  // GitHub is written in Ruby: a JSON null shows as nil.
  const value = error.data === null ? 'nil' : (JSON.stringify(error.data) ?? 'nil');
  let detail: string;
  switch (error.keyword) {
    case 'required':
      detail = `"${params.missingProperty}" wasn't supplied.`;
      break;
    case 'type':
      detail = `For '${location}', ${value} is not ${/^[aeiou]/.test(params.type ?? '') ? 'an' : 'a'} ${params.type}.`;
      break;
    case 'enum':
      detail = `For '${location}', ${value} is not a member of ${JSON.stringify(params.allowedValues)}.`;
      break;
    case 'format':
      detail = `For '${location}', ${value} is not a ${params.format}.`;
      break;
    default:
      detail = `For '${location}', ${value} ${error.message ?? 'is invalid'}.`;
  }
  return `Invalid request.\n\n${detail}`;
}

/** GitHub's OpenAPI description (the subset the test server implements), compiled for validation. */
export class GitHubOpenApi {
  private readonly validator: SchemaValidator;

  private constructor(private readonly document: OpenApiDocument) {
    this.validator = new SchemaValidator([{ $id: SCHEMA_ID, $defs: toJsonSchema(document.components.schemas) as JsonObject }]);
  }

  /** Loads the trimmed description written by tools/github-openapi/trim.mjs. */
  static load(file = path.join(__dirname, 'github-openapi.subset.json')): GitHubOpenApi {
    return new GitHubOpenApi(JSON.parse(readFileSync(file, 'utf8')) as OpenApiDocument);
  }

  /** Every operation in the description as `METHOD /path/{template}`. */
  operations(): string[] {
    return Object.entries(this.document.paths).flatMap(([route, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${route}`),
    );
  }

  /** The documentation URL GitHub puts in error bodies of an operation. */
  documentationUrl(method: string, route: string): string {
    return this.operation(method, route)?.externalDocs?.url ?? GENERIC_DOCUMENTATION;
  }

  /** Validates a JSON request body against the operation's request schema; undefined when it fits. */
  validateRequestBody(method: string, route: string, body: unknown): ErrorObject[] | undefined {
    const schema = this.operation(method, route)?.requestBody?.content?.['application/json']?.schema;
    if (!schema) return undefined;
    return this.validator.errors(`request ${method} ${route}`, () => toJsonSchema(schema) as JsonObject, body);
  }

  /**
   * Checks a JSON response: the status and media type must be documented for the operation and
   * the body must match the schema. Error statuses GitHub's description leaves out (it documents
   * few of the 404s, 409s, 5xx and rate-limit answers the API really gives) are checked against
   * `basic-error`, the shape GitHub uses for them. Returns the problems (empty when it fits).
   */
  validateResponse(method: string, route: string, status: number, mediaType: string, body: unknown): string[] {
    const operation = this.operation(method, route);
    if (!operation) return [`${method} ${route} is not in the OpenAPI description`];
    const documented = this.response(operation, status);
    const schema = documented?.content?.[mediaType]?.schema;
    if (!schema) {
      if (status >= 400) return this.check('basic-error', { $ref: '#/components/schemas/basic-error' }, body);
      if (!documented) return [`status ${status} is not documented for ${operation.operationId}`];
      return [`media type ${mediaType} is not documented for ${operation.operationId} ${status}`];
    }
    const problems = this.check(`response ${method} ${route} ${status} ${mediaType}`, schema, body);
    // Some documented error answers are a oneOf that every basic-error matches twice (e.g. the Contents API's 409:
    // basic-error or repository-rule-violation-error, neither with a required field): GitHub's answer is a basic-error.
    if (
      problems.length > 0 &&
      status >= 400 &&
      this.check('basic-error', { $ref: '#/components/schemas/basic-error' }, body).length === 0
    ) {
      return [];
    }
    return problems;
  }

  private operation(method: string, route: string): Operation | undefined {
    return this.document.paths[route]?.[method.toLowerCase()];
  }

  private response(operation: Operation, status: number): OperationResponse | undefined {
    const response = operation.responses[String(status)];
    if (response && '$ref' in response) return this.document.components.responses?.[response.$ref.split('/').pop()!];
    return response;
  }

  private check(cacheKey: string, schema: JsonObject, body: unknown): string[] {
    return this.validator.check(cacheKey, () => toJsonSchema(schema) as JsonObject, body);
  }
}
