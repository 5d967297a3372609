import { DomainError, StorageUnavailableError } from '@metastore/errors';

/** `text` with every occurrence of the URL's password (raw or percent-encoded) removed. */
export function redactSecrets(text: string, url: string): string {
  let password = '';
  try {
    password = new URL(url).password;
  } catch {
    return text;
  }
  if (!password) return text;
  const decoded = safeDecode(password);
  return [password, decoded].filter(Boolean).reduce((result, secret) => result.split(secret).join('***'), text);
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** Runs a database call; domain errors pass through, anything else becomes STORAGE_UNAVAILABLE without secrets in the message. */
export async function guarded<T>(url: string, action: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw asUnavailable(error, url, action);
  }
}

/** Wraps a database failure as STORAGE_UNAVAILABLE (the cause kept, the password never in the message). */
export function asUnavailable(error: unknown, url: string, action: string): Error {
  if (error instanceof DomainError) return error;
  const detail = error instanceof Error ? lastLine(error.message) : String(error);
  return new StorageUnavailableError(`the catalog database failed to ${action}: ${redactSecrets(detail, url)}`, { cause: error });
}

/** Prisma messages start with the invocation that failed (several lines); the last line says why. */
function lastLine(message: string): string {
  const lines = message
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  return lines.at(-1) ?? message;
}
