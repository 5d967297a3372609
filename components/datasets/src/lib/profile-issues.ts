import type { ErrorObject } from 'ajv';
import { escapePointerToken } from '@metastore/errors';
import type { DescriptorIssueCode } from './descriptor.codes';
import { isJsonObject, type DescriptorIssue } from './descriptor.model';

/** An issue still carrying the value it is about, so that leniency rules can look at it. */
export type ProfileIssue = DescriptorIssue & {
  readonly keyword: string;
  readonly value: unknown;
  readonly params: Record<string, unknown>;
};

type Branch = Record<string, unknown>;

const CODE_BY_KEYWORD: Record<string, DescriptorIssueCode> = {
  required: 'REQUIRED',
  type: 'TYPE',
  enum: 'ENUM',
  const: 'ENUM',
  pattern: 'PATTERN',
  format: 'FORMAT',
  minItems: 'TOO_FEW',
  minLength: 'TOO_FEW',
  minimum: 'TOO_FEW',
  exclusiveMinimum: 'TOO_FEW',
  minProperties: 'TOO_FEW',
  maxItems: 'TOO_MANY',
  maxLength: 'TOO_MANY',
  maximum: 'TOO_MANY',
  exclusiveMaximum: 'TOO_MANY',
  maxProperties: 'TOO_MANY',
  uniqueItems: 'NOT_UNIQUE',
  oneOf: 'AMBIGUOUS',
};

/**
 * Turns ajv's errors (compiled with `verbose`, so each carries its schema and value) into one issue per cause: a
 * `oneOf`/`anyOf` keeps only the errors of the branch the value declares (a field's `type` picks its branch, a
 * value's JSON type or present properties pick others), or, when the value declares none, one issue saying what
 * the alternatives allow. `profileUrl` and `prefix` place rules and pointers (a sub-profile checks a part of the package).
 */
export function profileIssues(errors: readonly ErrorObject[], profileUrl: string, prefix = ''): ProfileIssue[] {
  let remaining = [...errors];
  const combinators = errors
    .filter((error) => error.keyword === 'oneOf' || error.keyword === 'anyOf')
    .sort((left, right) => left.schemaPath.length - right.schemaPath.length);
  const synthesized: ProfileIssue[] = [];
  for (const combinator of combinators) {
    if (!remaining.includes(combinator)) continue;
    const inBranches = (error: ErrorObject) =>
      error !== combinator &&
      error.schemaPath.startsWith(`${combinator.schemaPath}/`) &&
      (error.instancePath === combinator.instancePath || error.instancePath.startsWith(`${combinator.instancePath}/`));
    const branchErrors = remaining.filter(inBranches);
    const branches = (Array.isArray(combinator.schema) ? combinator.schema : []) as Branch[];
    const choice = chooseBranch(branches, combinator.data, (index) =>
      branchErrors.filter((error) => error.schemaPath.startsWith(`${combinator.schemaPath}/${index}/`)),
    );
    remaining = remaining.filter((error) => error !== combinator && !inBranches(error));
    const rule = `${profileUrl}${combinator.schemaPath}`;
    const pointer = `${prefix}${combinator.instancePath}`;
    switch (choice.kind) {
      case 'branch':
        remaining.push(...branchErrors.filter((error) => error.schemaPath.startsWith(`${combinator.schemaPath}/${choice.index}/`)));
        // A oneOf that failed because the value passes several branches, the chosen one among them.
        if (Array.isArray(combinator.params['passingSchemas']) && combinator.params['passingSchemas'].includes(choice.index)) {
          synthesized.push(issue(pointer, 'AMBIGUOUS', rule, 'matches more than one of the alternatives the profile allows', combinator));
        }
        break;
      case 'discriminator':
        synthesized.push({
          ...issue(`${pointer}/${escapePointerToken(choice.key)}`, 'ENUM', `${rule}/*/properties/${choice.key}/enum`, '', combinator),
          message: `must be one of ${choice.allowed.map((value) => JSON.stringify(value)).join(', ')}`,
          value: isJsonObject(combinator.data) ? combinator.data[choice.key] : undefined,
        });
        break;
      case 'type':
        synthesized.push(issue(pointer, 'TYPE', rule, `must be ${describeTypes(choice.allowed)}`, combinator));
        break;
      case 'required':
        synthesized.push(
          issue(pointer, 'REQUIRED_ONE_OF', rule, `must have ${choice.alternatives.map(describeRequired).join(' or ')}`, combinator),
        );
        break;
    }
  }
  return [...remaining.map((error) => toIssue(error, profileUrl, prefix)), ...synthesized];
}

type Choice =
  | { kind: 'branch'; index: number }
  | { kind: 'discriminator'; key: string; allowed: unknown[] }
  | { kind: 'type'; allowed: string[] }
  | { kind: 'required'; alternatives: string[][] };

/** The branch `value` declares, or why none fits. */
function chooseBranch(branches: Branch[], value: unknown, errorsOf: (index: number) => ErrorObject[]): Choice {
  if (branches.length === 0) return { kind: 'branch', index: 0 };
  // 1. The value's JSON type, where branches differ in it (a path string or an array of paths).
  const typed = branches.map((branch) => typesOf(branch['type']));
  if (typed.every((types) => types !== undefined)) {
    const matching = typed.findIndex((types) => types!.some((type) => jsonTypeMatches(type, value)));
    if (matching < 0) return { kind: 'type', allowed: [...new Set(typed.flatMap((types) => types!))] };
    if (typed.filter((types) => types!.some((type) => jsonTypeMatches(type, value))).length === 1)
      return { kind: 'branch', index: matching };
  }
  if (isJsonObject(value)) {
    // 2. A discriminating property (a field's `type`): its value names the branch; absent, the branch not requiring it.
    const key = discriminatorOf(branches);
    if (key !== undefined) {
      const declared = value[key];
      if (declared === undefined) {
        const optional = branches.findIndex((branch) => !requiredOf(branch).includes(key));
        if (optional >= 0) return { kind: 'branch', index: optional };
      } else {
        const index = branches.findIndex((branch) => allowedValues(branch, key)?.some((allowed) => allowed === declared));
        if (index >= 0) return { kind: 'branch', index };
        return { kind: 'discriminator', key, allowed: branches.flatMap((branch) => allowedValues(branch, key) ?? []) };
      }
    }
    // 3. The JSON type of a property the branches type differently (a foreign key's `fields`: a string or an array).
    const typedKey = typedPropertyOf(branches);
    if (typedKey !== undefined && value[typedKey] !== undefined) {
      const index = branches.findIndex((branch) =>
        typesOf(propertySchema(branch, typedKey)?.['type'])?.some((type) => jsonTypeMatches(type, value[typedKey])),
      );
      if (index >= 0) return { kind: 'branch', index };
    }
    // 4. Alternatives of required properties (a license's name or path, a resource's path or data).
    const required = branches.map(requiredOf);
    if (required.every((names) => names.length > 0) && branches.every((branch) => Object.keys(branch).every((k) => k === 'required'))) {
      const present = required.findIndex((names) => names.every((name) => value[name] !== undefined));
      if (present >= 0) return { kind: 'branch', index: present };
      return { kind: 'required', alternatives: required };
    }
  }
  // 5. Otherwise the branch that came closest: the fewest errors.
  let best = 0;
  for (let index = 1; index < branches.length; index += 1) if (errorsOf(index).length < errorsOf(best).length) best = index;
  return { kind: 'branch', index: best };
}

function discriminatorOf(branches: Branch[]): string | undefined {
  const candidates = Object.keys(propertiesOf(branches[0]!));
  return candidates.find((key) => branches.every((branch) => allowedValues(branch, key) !== undefined));
}

function typedPropertyOf(branches: Branch[]): string | undefined {
  const candidates = Object.keys(propertiesOf(branches[0]!));
  return candidates.find((key) => branches.every((branch) => typesOf(propertySchema(branch, key)?.['type']) !== undefined));
}

function allowedValues(branch: Branch, key: string): unknown[] | undefined {
  const schema = propertySchema(branch, key);
  if (!schema) return undefined;
  if (Array.isArray(schema['enum'])) return schema['enum'];
  if ('const' in schema) return [schema['const']];
  return undefined;
}

function propertiesOf(branch: Branch): Record<string, unknown> {
  return isJsonObject(branch['properties']) ? branch['properties'] : {};
}

function propertySchema(branch: Branch, key: string): Record<string, unknown> | undefined {
  const schema = propertiesOf(branch)[key];
  return isJsonObject(schema) ? schema : undefined;
}

function requiredOf(branch: Branch): string[] {
  return Array.isArray(branch['required']) ? branch['required'].filter((name): name is string => typeof name === 'string') : [];
}

function typesOf(type: unknown): string[] | undefined {
  if (typeof type === 'string') return [type];
  if (Array.isArray(type) && type.every((item) => typeof item === 'string')) return type;
  return undefined;
}

function jsonTypeMatches(type: string, value: unknown): boolean {
  switch (type) {
    case 'object':
      return isJsonObject(value);
    case 'array':
      return Array.isArray(value);
    case 'integer':
      return Number.isInteger(value);
    case 'null':
      return value === null;
    default:
      return typeof value === type;
  }
}

function describeTypes(types: readonly string[]): string {
  const names = types.map((type) => (type === 'array' || type === 'object' || type === 'integer' ? `an ${type}` : `a ${type}`));
  return names.length <= 1 ? (names[0] ?? 'valid') : `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
}

function describeRequired(names: readonly string[]): string {
  return names.map((name) => `'${name}'`).join(' and ');
}

function issue(pointer: string, code: DescriptorIssueCode, rule: string, message: string, error: ErrorObject): ProfileIssue {
  return { pointer, code, rule, message, keyword: error.keyword, value: error.data, params: error.params };
}

/** One ajv error as an issue with a code, the rule (profile URL and schema path) and a message saying what is allowed. */
function toIssue(error: ErrorObject, profileUrl: string, prefix: string): ProfileIssue {
  const rule = `${profileUrl}${error.schemaPath}`;
  const pointer = `${prefix}${error.instancePath}`;
  const code = CODE_BY_KEYWORD[error.keyword] ?? 'INVALID';
  const parent = isJsonObject(error.parentSchema) ? error.parentSchema : {};
  const what = typeof parent['title'] === 'string' ? ` (${parent['title']})` : '';
  let message = error.message ?? 'is invalid';
  switch (error.keyword) {
    case 'required':
      message = `must have property '${String(error.params['missingProperty'])}'`;
      break;
    case 'additionalProperties':
      message = `must not have property '${String(error.params['additionalProperty'])}'`;
      break;
    case 'type':
      message = `must be ${describeTypes(typesOf(error.params['type']) ?? [])}`;
      break;
    case 'enum':
      message = `must be one of ${(error.params['allowedValues'] as unknown[]).map((value) => JSON.stringify(value)).join(', ')}`;
      break;
    case 'const':
      message = `must be ${JSON.stringify(error.params['allowedValue'])}`;
      break;
    case 'pattern':
      message = `must match the pattern ${String(error.params['pattern'])}${what}`;
      break;
    case 'format':
      message = `must be a valid ${String(error.params['format'])}${what}`;
      break;
    case 'minItems':
      message =
        pointer === '/resources' ? 'must list at least one resource' : `must have at least ${String(error.params['limit'])} item(s)`;
      break;
  }
  return { pointer, code, rule, message, keyword: error.keyword, value: error.data, params: error.params };
}
