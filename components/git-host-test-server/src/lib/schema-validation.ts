import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

/** A response the server sent that its host's documented schema does not allow. */
export interface SchemaViolation {
  readonly method: string;
  readonly route: string;
  readonly status: number;
  readonly errors: readonly string[];
}

type JsonObject = { [key: string]: unknown };

/** ajv (draft 2019-09 keywords, formats, non-strict for hosts' loose descriptions) with a cache of compiled schemas. */
export class SchemaValidator {
  private readonly ajv: Ajv;
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(shared: readonly JsonObject[] = []) {
    this.ajv = new Ajv({ strict: false, allErrors: true, verbose: true, logger: false });
    addFormats(this.ajv);
    for (const schema of shared) this.ajv.addSchema(schema);
  }

  /** The raw errors of `body` against `schema` (or the schema a function makes), compiled once under `cacheKey`; undefined when it fits. */
  errors(cacheKey: string, schema: JsonObject | (() => JsonObject), body: unknown): ErrorObject[] | undefined {
    const validate = this.compile(cacheKey, schema);
    return validate(body) ? undefined : (validate.errors ?? []);
  }

  /** Up to 10 readable problems of `body` against `schema` (empty when it fits). */
  check(cacheKey: string, schema: JsonObject | (() => JsonObject), body: unknown): string[] {
    return (this.errors(cacheKey, schema, body) ?? [])
      .slice(0, 10)
      .map((error) => `${error.instancePath || '(body)'} ${error.message ?? error.keyword}`);
  }

  private compile(cacheKey: string, schema: JsonObject | (() => JsonObject)): ValidateFunction {
    let validate = this.compiled.get(cacheKey);
    if (!validate) {
      validate = this.ajv.compile(typeof schema === 'function' ? schema() : schema);
      this.compiled.set(cacheKey, validate);
    }
    return validate;
  }
}
