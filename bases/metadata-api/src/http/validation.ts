import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { RequestHandler } from 'express';
import { ValidationError } from '@metastore/errors';

const bodies = new Ajv2020({ allErrors: true, strict: true });
addFormats(bodies);
// Query strings arrive as text: coerce "20" to 20 against the schema.
const queries = new Ajv2020({ allErrors: true, strict: true, coerceTypes: true, useDefaults: true });
addFormats(queries);

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
