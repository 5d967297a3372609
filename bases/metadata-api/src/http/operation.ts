import express, { Router, type Express, type Request, type RequestHandler, type Response } from 'express';
import type { FromSchema, JSONSchema } from 'json-schema-to-ts';
import { authorize, OPERATIONS, type AccessTarget, type Decision, type OperationId } from '@metastore/authz';
import type { Dependencies } from '../dependencies';
import { requireContentType } from './content-type';
import { accessContext, guard, policy, principalOf, requireCaller, type PolicyHandler } from './auth';
import { wildcardParam } from './paths';
import { parseJsonBody } from './request-guards';
import { validateBody, validateQuery } from './validation';

/** An HTTP method an operation answers. */
export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** The names of an Express path's parameters (`:owner`, `*tag`). */
type PathParamNames<Path extends string> = Path extends `${string}:${infer Name}/${infer Rest}`
  ? Name | PathParamNames<`/${Rest}`>
  : Path extends `${string}:${infer Name}`
    ? Name
    : Path extends `${string}*${infer Name}`
      ? Name
      : never;

/** A query schema: an object of named parameters (coerced from text; defaults applied). */
type QuerySchema = {
  readonly type: 'object';
  readonly properties: Readonly<Record<string, object>>;
  readonly required?: readonly string[];
};

/** The validated query of an operation: what its schema allows, defaults filled in. */
type QueryOf<Query> = Query extends undefined
  ? Readonly<Record<never, never>>
  : Query extends QuerySchema
    ? string extends keyof Query['properties']
      ? Record<string, unknown>
      : Query extends JSONSchema
        ? FromSchema<Query>
        : never
    : unknown;

/** The validated body of an operation (defaults are not applied to bodies, so defaulted members stay optional). */
type BodyOf<Body> = Body extends { readonly raw: true }
  ? Buffer
  : Body extends { readonly validated: false }
    ? unknown
    : Body extends { readonly schema: infer Schema }
      ? object extends Schema
        ? unknown
        : Schema extends JSONSchema
          ? FromSchema<Schema, { keepDefaultedPropertiesOptional: true }>
          : never
      : unknown;

/** What a handler is given: the request and response, and its inputs checked and typed by the declaration. */
export interface OperationInput<Path extends string, Query, Body> {
  readonly req: Request;
  readonly res: Response;
  /** Path parameters; a wildcard's segments joined with `/`. */
  readonly params: Readonly<Record<PathParamNames<Path>, string>>;
  readonly query: QueryOf<Query>;
  readonly body: BodyOf<Body>;
  readonly dependencies: Dependencies;
}

/** A request body: its schema (validated unless `validated: false`), its documented media type and others accepted. */
export interface BodyDeclaration {
  readonly schema: object;
  /** The name of its entry in the document's `components.schemas` (the operation then refers to it). */
  readonly component?: string;
  /** The media type documented; `alsoAccepted` are accepted as well (415 for anything else). */
  readonly mediaType: 'application/json' | 'application/merge-patch+json';
  readonly alsoAccepted?: readonly string[];
  /** False when a component checks the body itself (a descriptor, with the profile's rules): documented only. */
  readonly validated?: false;
  /**
   * The handler gets the bytes as received (a Buffer, within the body limit; empty without a body), neither parsed nor
   * validated: for a body whose signature must be checked over its exact bytes before anything reads it (a webhook).
   */
  readonly raw?: true;
}

/**
 * Who may call an operation, decided by the authz rule named `operation`:
 * - `target` (default: the whole instance): checked first, from the path;
 * - `bodyTarget`: the target is in the body, so anonymous callers are refused first and the rule runs on the valid body;
 * - `decide`: another authz decision on the valid body (anonymous callers refused first);
 * - `inHandler`: anonymous callers are refused; the handler decides the rest (it needs what only it computes).
 */
export type PolicyDeclaration<Body> =
  | { readonly operation: OperationId; readonly target?: (req: Request) => AccessTarget }
  | { readonly operation: OperationId; readonly bodyTarget: (body: Body) => AccessTarget }
  | { readonly operation: OperationId; readonly decide: (body: Body, res: Response, dependencies: Dependencies) => Decision }
  | { readonly operation: OperationId; readonly inHandler: true };

/**
 * What a declaration says of itself in /openapi.json: an operation of the document (its tags and responses), or
 * (`documented: false`) something served beside the API it describes: the documents themselves, the docs, metrics.
 */
type Documentation =
  | {
      readonly documented?: true;
      readonly tags: readonly string[];
      /** The OpenAPI responses (401, 403, 429 and 503 are added to every documented operation). */
      readonly responses: Readonly<Record<string, object>>;
    }
  | { readonly documented: false; readonly tags?: undefined; readonly responses?: undefined };

/** What an operation declares besides its policy and handler. */
type OperationShape<Path extends string, Query, Body> = Documentation & {
  /** Its authz operation, which names its rule; also its OpenAPI operationId. */
  readonly operationId: OperationId;
  readonly method: HttpMethod;
  /** The Express path below the mount point (`:name` parameters, `*name` wildcards); the document writes `{name}`. */
  readonly path: Path;
  /** `root` for what is served outside /api/v1 (the probes, documented with their own server; the documents, docs, metrics). */
  readonly mount?: 'api' | 'root';
  readonly summary: string;
  readonly description?: string;
  /** Documented path parameters (the path item's, shared by every operation on the path). */
  readonly pathParameters?: readonly object[];
  /** Documented header parameters (If-Match, If-None-Match), listed before the query's. */
  readonly headers?: readonly object[];
  /** The query parameters: validated and coerced at runtime, documented one parameter per property. */
  readonly query?: Query;
  readonly body?: Body;
};

/** One HTTP operation, declared once: its route, inputs, documentation, policy and handler. */
export type OperationDeclaration<Path extends string, Query, Body> = OperationShape<Path, Query, Body> & {
  readonly policy: PolicyDeclaration<BodyOf<NoInfer<Body>>>;
  readonly handler: (input: OperationInput<NoInfer<Path>, NoInfer<Query>, NoInfer<Body>>) => unknown;
};

/** A declared operation with a handler, its input types erased (what mounting and the document need). */
export type HandlerOperation = OperationShape<string, QuerySchema | undefined, BodyDeclaration | undefined> & {
  readonly policy: PolicyDeclaration<unknown>;
  readonly handler: (input: OperationInput<string, unknown, unknown>) => unknown;
};

/**
 * A sub-application served at `path` and every path below it, for GET (and HEAD): a page with its own static assets
 * (Swagger UI at /docs), whose handlers are made once per app. Its policy is checked on the path first, as for any
 * operation; it reads no body. It is no operation of /openapi.json.
 */
export interface SubAppDeclaration {
  readonly operationId: OperationId;
  readonly path: string;
  readonly mount?: 'api' | 'root';
  readonly summary: string;
  readonly documented: false;
  readonly policy: { readonly operation: OperationId; readonly target?: (req: Request) => AccessTarget };
  /** Its handlers; they see paths relative to `path` (`/`, `/swagger-ui.css`), as under `app.use(path, ...)`. */
  readonly subApp: (dependencies: Dependencies) => readonly RequestHandler[];
}

/** A declared sub-application, shaped like an operation answering GET with no query and no body. */
export type SubAppOperation = SubAppDeclaration & { readonly method: 'get'; readonly query?: undefined; readonly body?: undefined };

/** A declaration: an operation with a handler, or a sub-application. */
export type Operation = HandlerOperation | SubAppOperation;

/** Declares an operation; the types of its handler's inputs come from its path, query schema and body schema. */
export function defineOperation<
  const Path extends string,
  Query extends QuerySchema | undefined = undefined,
  Body extends BodyDeclaration | undefined = undefined,
>(declaration: OperationDeclaration<Path, Query, Body>): Operation {
  return declaration as unknown as HandlerOperation;
}

/** Declares a sub-application (see `SubAppDeclaration`). */
export function defineSubApp(declaration: SubAppDeclaration): Operation {
  return { ...declaration, method: 'get' };
}

/**
 * A value built once per app wiring, the first time it is asked for (a document served, the metrics registry): the
 * declarations and the app's middleware that ask with the same dependencies share it.
 */
export function perApp<T>(build: (dependencies: Dependencies) => T): (dependencies: Dependencies) => T {
  const built = new WeakMap<Dependencies, T>();
  return (dependencies) => {
    if (!built.has(dependencies)) built.set(dependencies, build(dependencies));
    return built.get(dependencies)!;
  };
}

/** The parameter names of an Express path, in order. */
function pathParamNames(path: string): { name: string; wildcard: boolean }[] {
  return [...path.matchAll(/([:*])([A-Za-z0-9_]+)/g)].map((match) => ({ name: match[2]!, wildcard: match[1] === '*' }));
}

/** The guard that runs first: the policy on the path, or (when the policy needs the body or the handler) a refusal of anonymous callers. */
function firstGuard(operation: HandlerOperation, dependencies: Dependencies): RequestHandler {
  const declared = operation.policy;
  if ('bodyTarget' in declared || 'decide' in declared) return requireCaller;
  if ('inHandler' in declared)
    return Object.assign((req: Request, res: Response, next: () => void) => requireCaller(req, res, next), {
      operationId: declared.operation,
    }) satisfies PolicyHandler;
  return policy(declared.operation, dependencies.access, declared.target);
}

/** The guard that runs once the body is valid, if the policy needs it. */
function bodyGuard(operation: HandlerOperation, dependencies: Dependencies): PolicyHandler | undefined {
  const declared = operation.policy;
  if ('bodyTarget' in declared) {
    return guard(declared.operation, (req, res) => {
      const target = declared.bodyTarget(req.body);
      return authorize(principalOf(res), declared.operation, target, accessContext(dependencies.access, target.owner));
    });
  }
  if ('decide' in declared) return guard(declared.operation, (req, res) => declared.decide(req.body, res, dependencies));
  return undefined;
}

/**
 * Mounts a sub-application on a router: one GET route for its path and everything below it (so the route table knows
 * it and its policy), whose last handler runs the sub-application on the path relative to its own, as `app.use(path,
 * ...)` would (but leaving `req.baseUrl`, which the metrics' route label reads, alone).
 */
function mountSubApp(router: Router, operation: SubAppOperation, dependencies: Dependencies): void {
  const subApp = Router().use(...operation.subApp(dependencies));
  const { operation: operationId, target } = operation.policy;
  router.get(`${operation.path}{/*path}`, policy(operationId, dependencies.access, target), (req, res, next) => {
    const url = req.url;
    const below = url.slice(operation.path.length);
    req.url = below.startsWith('/') ? below : `/${below}`;
    subApp(req, res, (error?: unknown) => {
      req.url = url;
      next(error);
    });
  });
}

/**
 * Mounts operations on a router, each as: its policy guard on the path (or a refusal of anonymous callers), the
 * content-type check, query validation, then, for an operation with a body, parsing it (size, depth before parsing,
 * U+0000) and validating it, the policy on the body where it needs it, and the handler with typed inputs. A body is
 * parsed only once the caller is authenticated, within the write rate limit (app-wide, before the routes) and, where
 * the policy reads the path, allowed; an operation without a body never parses one.
 */
export function operationsRouter(operations: readonly Operation[], dependencies: Dependencies): Router {
  const router = Router();
  for (const operation of operations) {
    if ('subApp' in operation) {
      mountSubApp(router, operation, dependencies);
      continue;
    }
    const handlers: RequestHandler[] = [firstGuard(operation, dependencies)];
    const { body, query } = operation;
    const mediaTypes = body ? [body.mediaType, ...(body.alsoAccepted ?? [])] : [];
    if (body) handlers.push(requireContentType(...mediaTypes));
    if (query) handlers.push(validateQuery(query));
    if (body?.raw) handlers.push(rawBody(dependencies.config.bodyLimitBytes, mediaTypes));
    else if (body) handlers.push(...parseJsonBody(dependencies.config.bodyLimitBytes, mediaTypes));
    if (body && !body.raw && body.validated !== false) handlers.push(validateBody(body.schema));
    const late = bodyGuard(operation, dependencies);
    if (late) handlers.push(late);
    const names = pathParamNames(operation.path);
    handlers.push(async (req, res) => {
      const params = Object.fromEntries(names.map(({ name }) => [name, wildcardParam(req, name)]));
      await operation.handler({ req, res, params, query: res.locals['query'] ?? {}, body: req.body, dependencies });
    });
    router[operation.method](operation.path, ...handlers);
  }
  return router;
}

/** Reads a body as bytes (413 PAYLOAD_TOO_LARGE over `limitBytes`, as for parsed bodies); `req.body` is an empty Buffer without one. */
function rawBody(limitBytes: number, mediaTypes: readonly string[]): RequestHandler {
  const read = express.raw({ limit: limitBytes, type: [...mediaTypes] });
  return (req, res, next) =>
    read(req, res, (error?: unknown) => {
      if (error === undefined && !Buffer.isBuffer(req.body)) req.body = Buffer.alloc(0);
      next(error);
    });
}

/**
 * Mounts operations on the app: the rest under /api/v1, then those of `mount: 'root'` (probes, documents, docs, metrics)
 * at the root. In that order, an API request is matched against the API's routes only (the root's paths are none of
 * /api/v1's), where the root's router would first try each of its routes on it.
 */
export function mountOperations(app: Express, operations: readonly Operation[], dependencies: Dependencies): void {
  app.use(
    '/api/v1',
    operationsRouter(
      operations.filter((operation) => operation.mount !== 'root'),
      dependencies,
    ),
  );
  app.use(
    operationsRouter(
      operations.filter((operation) => operation.mount === 'root'),
      dependencies,
    ),
  );
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** A query schema's properties as OpenAPI parameters: each one's description on the parameter, the rest its schema. */
function queryParameters(query: QuerySchema): object[] {
  const required = new Set(query.required ?? []);
  return Object.entries(query.properties).map(([name, property]) => {
    const { description, ...schema } = property as { description?: string };
    return {
      name,
      in: 'query',
      ...(required.has(name) ? { required: true } : {}),
      schema,
      ...(description !== undefined ? { description } : {}),
    };
  });
}

/** The OpenAPI operation object of a documented declaration. */
function documentedOperation(operation: HandlerOperation & { readonly documented?: true }): object {
  const parameters = [...(operation.headers ?? []), ...(operation.query ? queryParameters(operation.query) : [])];
  const { body } = operation;
  return {
    tags: operation.tags,
    operationId: operation.operationId,
    summary: operation.summary,
    ...(operation.description !== undefined ? { description: operation.description } : {}),
    ...(OPERATIONS[operation.policy.operation].target === 'public' ? { security: [] } : {}),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(body
      ? { requestBody: { required: true, content: { [body.mediaType]: { schema: body.component ? ref(body.component) : body.schema } } } }
      : {}),
    responses: { ...operation.responses },
  };
}

/** The OpenAPI path of an Express path: `:name` and `*name` become `{name}`. */
export function documentedPath(path: string): string {
  return path.replace(/[:*]([A-Za-z0-9_]+)/g, '{$1}');
}

/** The document's `paths` for these operations (in their order), path-level parameters and servers included. */
export function documentedPaths(operations: readonly Operation[]): Record<string, Record<string, unknown>> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const operation of operations) {
    if (operation.documented === false) continue;
    const path = documentedPath(operation.path);
    const item = (paths[path] ??= {});
    if (operation.mount === 'root') item['servers'] ??= [{ url: '/' }];
    if (operation.pathParameters) item['parameters'] ??= operation.pathParameters;
    const documentedNames = new Set((item['parameters'] as { name: string }[] | undefined)?.map((parameter) => parameter.name));
    const undocumented = pathParamNames(operation.path).filter(({ name }) => !documentedNames.has(name));
    if (undocumented.length > 0) throw new Error(`${operation.operationId}: path parameter ${undocumented[0]!.name} is not documented`);
    if (item[operation.method]) throw new Error(`${operation.operationId}: ${operation.method.toUpperCase()} ${path} is declared twice`);
    item[operation.method] = documentedOperation(operation);
  }
  return paths;
}

/** The request bodies named as components, by name (for the document's `components.schemas`). */
export function documentedBodies(operations: readonly Operation[]): Record<string, object> {
  return Object.fromEntries(operations.flatMap(({ body }) => (body?.component ? [[body.component, body.schema]] : [])));
}
