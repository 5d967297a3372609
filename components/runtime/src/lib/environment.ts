import { z } from 'zod';
import { ConfigurationError } from '@metastore/errors';

/** The processes that read the environment: the API, the sync worker, the `metastore` command line, the search indexer. */
export type ProcessName = 'api' | 'worker' | 'cli' | 'indexer';

/** Every process, in the order the README names them. */
export const PROCESS_NAMES: readonly ProcessName[] = ['api', 'worker', 'cli', 'indexer'];

/** A process's environment as it arrives (`process.env`, or a test's object). */
export type Environment = Readonly<Record<string, string | undefined>>;

/** The environment with unset and empty alike: only variables with a value. */
export type EnvironmentValues = Readonly<Record<string, string>>;

/**
 * The one rule for empty values: `NAME=` is unset, in every process (compose files and Kubernetes Secrets often carry it).
 * Every parser is given these values, never the raw environment.
 */
export function presentValues(env: Environment): EnvironmentValues {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== ''));
}

/**
 * What a variable's zod schema carries in `.meta()` (zod's global registry) so that the README can be generated from it: the meaning
 * (`description`, Markdown), the default as shown when the parsed default does not read well (`shownDefault`), whether its value is a
 * secret, and `documentedWith`: the variable whose README row it shares (its meaning there covers this one).
 */
export interface VariableMeta {
  readonly description?: string;
  readonly shownDefault?: string;
  readonly secret?: boolean;
  readonly documentedWith?: string;
}

/** A zod object whose keys are environment variable names: how every brick declares the variables it reads. */
export type VariableSchema = z.ZodObject<z.ZodRawShape>;

/** One declared variable: its name, metadata and (when zod holds one) its default. */
export interface VariableDeclaration extends VariableMeta {
  readonly name: string;
  /** The default zod applies when unset, if any. */
  readonly defaultValue?: unknown;
}

/** The variables a schema declares, in declaration order. */
export function declarationsOf(schema: VariableSchema): VariableDeclaration[] {
  return Object.entries(schema.shape).map(([name, field]) => {
    const type = field as z.ZodType;
    const meta = (type.meta() ?? {}) as VariableMeta;
    return {
      name,
      ...meta,
      ...(type instanceof z.ZodDefault ? { defaultValue: (type.def as { defaultValue: unknown }).defaultValue } : {}),
    };
  });
}

/** Collects configuration problems (never a value: some are secrets), to be reported together. */
export class ConfigurationProblems {
  private readonly problems: string[] = [];

  /** Adds the issues of a failed zod parse, each prefixed with its variable's name. */
  addIssues(issues: readonly z.core.$ZodIssue[]): void {
    this.problems.push(...issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
  }

  /** Adds one problem, already naming its variable. */
  add(problem: string): void {
    this.problems.push(problem);
  }

  /** `schema` parsed over `values`, or undefined with its issues recorded. */
  parse<T extends z.ZodType>(schema: T, values: EnvironmentValues): z.output<T> | undefined {
    const result = schema.safeParse(values);
    if (result.success) return result.data;
    this.addIssues(result.error.issues);
    return undefined;
  }

  /** `parse()`'s result (an adapter's config parser, which throws a ConfigurationError), or undefined with its message recorded. */
  attempt<T>(parse: () => T): T | undefined {
    try {
      return parse();
    } catch (error) {
      if (!(error instanceof ConfigurationError)) throw error;
      this.add(error.message);
      return undefined;
    }
  }

  /** True when nothing was recorded. */
  get empty(): boolean {
    return this.problems.length === 0;
  }

  /** The one error naming every problem found. */
  error(): ConfigurationError {
    return new ConfigurationError(`invalid configuration: ${this.problems.join('; ')}`);
  }
}
