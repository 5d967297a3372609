import { createHash, timingSafeEqual } from 'node:crypto';
import type { HostedRepository } from '@metastore/runtime';

/** What a verified delivery asks of us: answer a ping, sync the datasets of these repositories, or nothing. */
export type DeliveryRequest =
  | { readonly kind: 'ping' }
  | { readonly kind: 'sync'; readonly repositories: readonly HostedRepository[] }
  | { readonly kind: 'ignored'; readonly reason: string };

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown): string | undefined => (typeof value === 'string' && value.length > 0 ? value : undefined);
const texts = (value: unknown): string[] | undefined =>
  Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : undefined;

/** `@octokit/webhooks-methods` is ESM only: imported once, on the first delivery (the bundle is CommonJS). */
let webhookMethods: Promise<typeof import('@octokit/webhooks-methods')> | undefined;

/**
 * Whether `signature` (GitHub's `X-Hub-Signature-256`, `sha256=<hex>`) is the HMAC of the exact body under `secret`:
 * `@octokit/webhooks-methods`' verify (a constant-time comparison). A missing header is unverified.
 */
export async function verifyGitHubSignature(secret: string, body: Buffer, signature: string | undefined): Promise<boolean> {
  if (signature === undefined || signature.length === 0 || body.length === 0) return false;
  webhookMethods ??= import('@octokit/webhooks-methods');
  return (await webhookMethods).verify(secret, body.toString('utf8'), signature);
}

/**
 * Whether GitLab's `X-Gitlab-Token` is the configured secret token: compared in constant time over equal-length
 * buffers (the SHA-256 digests of both, so neither the token nor its length leaks through timing).
 */
export function verifyGitLabToken(secret: string, token: string | undefined): boolean {
  if (token === undefined) return false;
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(secret), digest(token));
}

/** The SHA-256 of a delivery's body: a replay under a new delivery id (headers are not signed) is still recognised by it. */
export function bodyDigest(body: Buffer): string {
  return createHash('sha256').update(body).digest('hex');
}

/** The GitHub repository of a payload, with its topics (what marks it as a dataset). */
function gitHubRepository(payload: Json, path = text(isObject(payload['repository']) ? payload['repository']['full_name'] : undefined)) {
  const repository = isObject(payload['repository']) ? payload['repository'] : {};
  const topics = texts(repository['topics']) ?? [];
  return path === undefined ? undefined : ({ host: 'github', path, topics } satisfies HostedRepository);
}

/**
 * What a GitHub delivery (`X-GitHub-Event`) asks for: `ping`; `push` (branches and tags), `create` and `delete` (of a
 * branch or tag) and `repository` (deleted, renamed, transferred, created, ...: a rename or transfer also syncs the old
 * name, whose dataset is then gone) sync the repository's dataset; anything else is ignored.
 * See https://docs.github.com/en/webhooks/webhook-events-and-payloads.
 */
export function gitHubDeliveryRequest(event: string | undefined, payload: Json): DeliveryRequest {
  if (event === 'ping') return { kind: 'ping' };
  if (event !== 'push' && event !== 'create' && event !== 'delete' && event !== 'repository')
    return { kind: 'ignored', reason: `event ${event ?? '(none)'} is not one Metastore syncs on` };
  const repository = gitHubRepository(payload);
  if (!repository) return { kind: 'ignored', reason: 'the payload names no repository' };
  const repositories: HostedRepository[] = [repository];
  if (event === 'repository' && isObject(payload['changes'])) {
    const changes = payload['changes'];
    const [owner, name] = repository.path.split('/');
    const oldName =
      isObject(changes['repository']) && isObject(changes['repository']['name']) ? text(changes['repository']['name']['from']) : undefined;
    const oldOwnerOf = (from: unknown) => (isObject(from) ? text(from['login']) : undefined);
    const fromOwner = isObject(changes['owner']) && isObject(changes['owner']['from']) ? changes['owner']['from'] : undefined;
    const oldOwner = fromOwner ? (oldOwnerOf(fromOwner['organization']) ?? oldOwnerOf(fromOwner['user'])) : undefined;
    if (oldName !== undefined || oldOwner !== undefined)
      repositories.push({ ...repository, path: `${oldOwner ?? owner}/${oldName ?? name}` });
  }
  return { kind: 'sync', repositories };
}

/**
 * What a GitLab delivery asks for: push and tag push events (project and system hooks) sync the project's dataset, as
 * do the system hooks' `repository_update`, `project_create` and `project_destroy`; `project_rename` and
 * `project_transfer` also sync the old path. Anything else is ignored. GitLab sends no ping: its "Test" button sends a
 * push event. See https://docs.gitlab.com/user/project/integrations/webhook_events/ and
 * https://docs.gitlab.com/administration/system_hooks/.
 */
export function gitLabDeliveryRequest(payload: Json): DeliveryRequest {
  const kind = text(payload['object_kind']) ?? text(payload['event_name']);
  const project = isObject(payload['project']) ? payload['project'] : undefined;
  const repository = (path: string | undefined): HostedRepository | undefined =>
    path === undefined ? undefined : { host: 'gitlab', path };
  let found: (HostedRepository | undefined)[];
  switch (kind) {
    case 'push':
    case 'tag_push':
    case 'repository_update':
      found = [repository(text(project?.['path_with_namespace']))];
      break;
    case 'project_create':
    case 'project_destroy':
      found = [repository(text(payload['path_with_namespace']))];
      break;
    case 'project_rename':
    case 'project_transfer':
      found = [repository(text(payload['path_with_namespace'])), repository(text(payload['old_path_with_namespace']))];
      break;
    default:
      return { kind: 'ignored', reason: `event ${kind ?? '(none)'} is not one Metastore syncs on` };
  }
  const repositories = found.filter((item): item is HostedRepository => item !== undefined);
  return repositories.length > 0 ? { kind: 'sync', repositories } : { kind: 'ignored', reason: 'the payload names no project' };
}
