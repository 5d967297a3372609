import { declarationsOf, PROCESS_VARIABLES, STORAGE_BACKENDS, type ProcessName, type VariableSchema } from '@metastore/runtime';

const storageProcesses: readonly ProcessName[] = ['api', 'worker', 'cli'];

/** The environment variables `process` reads, as the runtime declares them (a storage backend's too, where storage is opened). */
export function variablesOf(process: ProcessName): Set<string> {
  const schemas: VariableSchema[] = [...(PROCESS_VARIABLES[process] as readonly VariableSchema[])];
  if (storageProcesses.includes(process))
    for (const backend of STORAGE_BACKENDS)
      if ('variables' in backend && backend.variables) schemas.push(backend.variables as VariableSchema);
  return new Set(schemas.flatMap((schema) => declarationsOf(schema).map((declaration) => declaration.name)));
}

/** Every variable some Metastore process reads. */
export function anyProcessVariables(): Set<string> {
  return new Set((['api', 'worker', 'cli', 'indexer'] as const).flatMap((process) => [...variablesOf(process)]));
}
