import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { RequestHandler } from 'express';
import { ValidationError } from '@metastore/errors';
import { refIssues } from '@metastore/storage';

/** The first instant a `date-time` may name: year 0 and earlier do not exist for PostgreSQL's timestamps. */
const EARLIEST_TIME = Date.parse('0001-01-01T00:00:00Z');
const RFC3339_DATE_TIME = addFormats.get('date-time') as {
  validate: (text: string) => boolean;
  compare: (left: string, right: string) => number | undefined;
};

/**
 * This API's additions to JSON Schema, in every schema it validates (and publishes in /openapi.json): `date-time`
 * is RFC 3339 naming a real instant from year 0001 (no leap second, nothing before the calendar PostgreSQL knows),
 * and the keyword `x-git-ref: true` marks a ref as the storage's grammar accepts it (`refIssues`: git's rules, no
 * spoofing characters, at most MAX_REF_BYTES bytes).
 */
function withMetastoreVocabulary(ajv: Ajv2020): Ajv2020 {
  addFormats(ajv);
  ajv.addFormat('date-time', {
    type: 'string',
    validate: (text: string) => RFC3339_DATE_TIME.validate(text) && Date.parse(text) >= EARLIEST_TIME,
    compare: RFC3339_DATE_TIME.compare,
  });
  const gitRef = (enabled: boolean, data: unknown): boolean => {
    const issues = enabled ? refIssues(data) : [];
    gitRef.errors = issues.map(
      (issue) => ({ keyword: 'x-git-ref', message: issue.message.replace(/^ref /, ''), params: {} }) as ErrorObject,
    );
    return issues.length === 0;
  };
  gitRef.errors = [] as ErrorObject[];
  ajv.addKeyword({ keyword: 'x-git-ref', type: 'string', schemaType: 'boolean', errors: true, validate: gitRef });
  return ajv;
}

const bodies = withMetastoreVocabulary(new Ajv2020({ allErrors: true, strict: true }));
// Query strings arrive as text: coerce "20" to 20 against the schema.
const queries = withMetastoreVocabulary(new Ajv2020({ allErrors: true, strict: true, coerceTypes: true, useDefaults: true }));

function describe(validate: ValidateFunction, what: string): ValidationError {
  return new ValidationError(
    `invalid ${what}`,
    (validate.errors ?? []).map((error) => {
      if (error.keyword === 'additionalProperties') {
        return { pointer: `${error.instancePath}/${String(error.params['additionalProperty'])}`, message: 'is not allowed' };
      }
      if (error.keyword === 'required') {
        return { pointer: `${error.instancePath}/${String(error.params['missingProperty'])}`, message: 'is required' };
      }
      return { pointer: error.instancePath, message: error.message ?? 'is invalid' };
    }),
  );
}

/** Validates the JSON body against a JSON Schema (also published in the OpenAPI description). */
export function validateBody(schema: object): RequestHandler {
  const validate = bodies.compile(schema);
  return (req, _res, next) => {
    if (!validate(req.body ?? {})) throw describe(validate, 'request body');
    next();
  };
}

/** Validates and coerces query parameters; the typed copy lands in `res.locals.query`. */
export function validateQuery(schema: object): RequestHandler {
  const validate = queries.compile(schema);
  return (req, res, next) => {
    const query = { ...(req.query as Record<string, unknown>) };
    if (!validate(query)) throw describe(validate, 'query parameters');
    res.locals['query'] = query;
    next();
  };
}

/** Whether a query (a plain object, coerced and defaulted in place) is valid against a schema, as `validateQuery` decides. */
export function isValidQuery(schema: object): (query: Record<string, unknown>) => boolean {
  const validate = queries.compile(schema);
  return (query) => validate(query);
}
