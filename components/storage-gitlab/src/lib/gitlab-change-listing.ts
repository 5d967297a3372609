import type { ChangedDatasets } from '@metastore/storage';

/** Projects per listing page (GitLab's maximum). */
export const LISTING_PAGE_SIZE = 100;

/**
 * How stale GitLab lets `last_activity_at` get: a push moves it only when it is older than an hour
 * (`Event::RESET_PROJECT_ACTIVITY_INTERVAL`, hard-coded since gitlab-org/gitlab-foss!6391, "Restrict last_activity_at
 * updates to one per hour"; gitlab-org/gitlab#16729 asks to make it configurable). A project pushed to at `t` therefore
 * always shows `last_activity_at >= t - 1 h`, and one pushed to again within the hour shows nothing new at all: the
 * listing reaches back this far behind the last run, and the datasets it found there are compared again.
 */
export const ACTIVITY_GRANULARITY_MS = 60 * 60 * 1000;

/** Taken off the host's clock for the run's time: a push landing while the listing is answered is not missed. */
const CLOCK_SLACK_MS = 5_000;

/** The fields of a project in GitLab's listing (`simple=true`) that the change listing reads. */
export interface ListedProject {
  readonly path: string;
  readonly last_activity_at?: string | null;
  readonly created_at?: string | null;
}

/**
 * One page of the listing by `last_activity_at`, newest first, or a 304 to its ETag; `total` is `X-Total`, which GitLab
 * leaves out above 10,000 results (https://docs.gitlab.com/api/rest/#pagination-response-headers).
 */
export type ProjectListingPage =
  | { readonly notModified: true; readonly total?: number; readonly date?: number }
  | {
      readonly notModified: false;
      readonly projects: readonly ListedProject[];
      readonly etag?: string;
      readonly total?: number;
      readonly nextPage: number | null;
      /** The host's clock when it answered (`Date`), epoch milliseconds. */
      readonly date?: number;
    };

/** Reads page `page`, conditionally when `etag` is given. */
export type ProjectListingReader = (page: number, etag?: string) => Promise<ProjectListingPage>;

/** What the caller keeps between runs for one owner (as JSON). */
interface ActivityWatermark {
  readonly v: 1;
  /** When the listing was read (host clock less a slack), epoch milliseconds. */
  readonly syncedAt: number;
  /** Projects in the listing (`X-Total`); null when GitLab gave none (more than 10,000). */
  readonly count: number | null;
  readonly firstEtag?: string;
  /** Datasets active within the granularity before `syncedAt` (name → `last_activity_at`): a push to them may not show. */
  readonly recent: Readonly<Record<string, number>>;
}

type Loaded = Extract<ProjectListingPage, { notModified: false }>;

function parseWatermark(value: string | undefined): ActivityWatermark | undefined {
  if (!value) return undefined;
  try {
    const parsed = JSON.parse(value) as Partial<ActivityWatermark>;
    return parsed.v === 1 && typeof parsed.syncedAt === 'number' && typeof parsed.recent === 'object'
      ? (parsed as ActivityWatermark)
      : undefined;
  } catch {
    return undefined;
  }
}

const activityOf = (project: ListedProject) => Date.parse(project.last_activity_at ?? project.created_at ?? '') || 0;

/** The datasets among `projects` still inside the granularity window at `syncedAt`. */
function recentOf(projects: readonly ListedProject[], isDataset: (project: ListedProject) => boolean, syncedAt: number) {
  const recent: Record<string, number> = {};
  for (const project of projects) {
    if (isDataset(project) && activityOf(project) > syncedAt - ACTIVITY_GRANULARITY_MS) recent[project.path] = activityOf(project);
  }
  return recent;
}

/**
 * The datasets of one owner that may have been pushed to since a watermark, from GitLab's group listing ordered by
 * `last_activity_at` with the first page's ETag. GitLab counts a 304 against the rate limit, so this costs at least one
 * counted request per owner; it never costs more when nothing changed:
 * - the first page answers 304 (nothing became active, nothing was created) and its `X-Total` (Rack keeps headers on a
 *   304) is the last count: nothing went. The datasets active within the hour before the last run are returned again,
 *   since a second push within GitLab's hour moves nothing in the listing;
 * - otherwise the pages down to an hour before the last run (100 projects a page): everything there is returned;
 * - a project gone (or moved in without activity): `X-Total` no longer adds up with the projects created since, and the
 *   whole listing is read and returned as `complete` for the caller to compare. Above 10,000 projects GitLab sends no
 *   `X-Total`, and deletions are left to the caller's periodic full sync.
 */
export async function listActiveSince(
  readPage: ProjectListingReader,
  isDataset: (project: ListedProject) => boolean,
  watermark: string | undefined,
  now: () => number = Date.now,
): Promise<ChangedDatasets> {
  const state = parseWatermark(watermark);
  const started = now();
  if (!state) return readEverything(readPage, isDataset, started);
  const first = await readPage(1, state.firstEtag);
  const syncedAt = Math.min(first.date ?? started, started) - CLOCK_SLACK_MS;
  const again = Object.keys(state.recent);
  if (first.notModified) {
    if (first.total !== undefined && state.count !== null && first.total !== state.count) {
      return readEverything(readPage, isDataset, started, again);
    }
    const recent = Object.fromEntries(Object.entries(state.recent).filter(([, activity]) => activity > syncedAt - ACTIVITY_GRANULARITY_MS));
    const next: ActivityWatermark = { ...state, syncedAt, recent };
    return { changed: again.sort(), watermark: JSON.stringify(next) };
  }
  const since = state.syncedAt - ACTIVITY_GRANULARITY_MS;
  const active: ListedProject[] = [];
  let page: Loaded = first;
  for (;;) {
    const newer = page.projects.filter((project) => activityOf(project) >= since);
    active.push(...newer);
    if (newer.length < page.projects.length || page.nextPage === null) break;
    const answer = await readPage(page.nextPage);
    if (answer.notModified) throw new Error('the listing answered 304 to an unconditional request');
    page = answer;
  }
  const created = active.filter((project) => (Date.parse(project.created_at ?? '') || 0) > state.syncedAt).length;
  const changed = [...new Set([...names(active, isDataset), ...again])].sort();
  const total = first.total ?? null;
  if (total !== null && state.count !== null && total !== state.count + created) {
    return readEverything(readPage, isDataset, started, changed, first);
  }
  const next: ActivityWatermark = {
    v: 1,
    syncedAt,
    count: total,
    ...(first.etag ? { firstEtag: first.etag } : {}),
    recent: recentOf(active, isDataset, syncedAt),
  };
  return { changed, watermark: JSON.stringify(next) };
}

/**
 * The whole listing (every page; the first one not read again when given), as `complete`; `changed` is `knownChanged`,
 * or every dataset when nothing is known (no watermark).
 */
async function readEverything(
  readPage: ProjectListingReader,
  isDataset: (project: ListedProject) => boolean,
  started: number,
  knownChanged?: readonly string[],
  firstPage?: Loaded,
): Promise<ChangedDatasets> {
  const all: ListedProject[] = [];
  let first: Loaded | undefined;
  for (let pageNumber: number | null = 1; pageNumber !== null;) {
    const answer: ProjectListingPage = pageNumber === 1 && firstPage ? firstPage : await readPage(pageNumber);
    if (answer.notModified) throw new Error('the listing answered 304 to an unconditional request');
    first ??= answer;
    all.push(...answer.projects);
    pageNumber = answer.nextPage;
  }
  const syncedAt = Math.min(first!.date ?? started, started) - CLOCK_SLACK_MS;
  const complete = names(all, isDataset);
  const next: ActivityWatermark = {
    v: 1,
    syncedAt,
    count: first!.total ?? all.length,
    ...(first!.etag ? { firstEtag: first!.etag } : {}),
    recent: recentOf(all, isDataset, syncedAt),
  };
  return { changed: knownChanged ?? complete, complete, watermark: JSON.stringify(next) };
}

/** Distinct dataset names among `projects`, sorted. */
function names(projects: readonly ListedProject[], isDataset: (project: ListedProject) => boolean): string[] {
  return [...new Set(projects.filter(isDataset).map((project) => project.path))].sort();
}
