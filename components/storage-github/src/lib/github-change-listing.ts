import type { ChangedDatasets } from '@metastore/storage';

/** Repositories per listing page (GitHub's maximum). */
export const LISTING_PAGE_SIZE = 100;

/** The fields of a repository in GitHub's listing that the change listing reads. */
export interface ListedRepository {
  readonly name: string;
  readonly topics?: readonly string[];
  readonly pushed_at?: string | null;
  readonly created_at?: string | null;
}

/** One page of the owner's repositories ordered by last push (newest first), or `notModified` (a 304 to its ETag). */
export type ListingPage =
  | { readonly notModified: true }
  | { readonly notModified: false; readonly repositories: readonly ListedRepository[]; readonly etag?: string; readonly lastPage: number };

/** Reads page `page` of the listing, conditionally when `etag` is given. */
export type ListingPageReader = (page: number, etag?: string) => Promise<ListingPage>;

/**
 * What the caller keeps between runs for one owner (as JSON): the newest push seen, how many repositories the listing
 * held, and the ETags of its first and last pages.
 */
interface ListingWatermark {
  readonly v: 1;
  /** The newest `pushed_at` seen, in epoch milliseconds (GitHub's clock, whole seconds); null for an empty listing. */
  readonly pushedAt: number | null;
  /** Repositories in the listing, of any topic. */
  readonly count: number;
  readonly firstEtag?: string;
  readonly last?: { readonly page: number; readonly etag?: string };
}

type Loaded = Extract<ListingPage, { notModified: false }>;

function parseWatermark(value: string | undefined): ListingWatermark | undefined {
  if (!value) return undefined;
  try {
    const parsed = JSON.parse(value) as Partial<ListingWatermark>;
    return parsed.v === 1 && typeof parsed.count === 'number' ? (parsed as ListingWatermark) : undefined;
  } catch {
    return undefined;
  }
}

/** A repository's last push in epoch milliseconds (a repository never pushed to counts from its creation). */
function pushedAt(repository: ListedRepository): number {
  return Date.parse(repository.pushed_at ?? repository.created_at ?? '') || 0;
}

/** The number of the listing's last page, from the `Link` header (`rel="last"`), or this page when it names none. */
export function lastPageOf(link: string | undefined, page: number): number {
  const last = /<([^>]+)>;\s*rel="last"/.exec(link ?? '');
  if (!last) return page;
  const number = Number(new URL(last[1]!).searchParams.get('page'));
  return Number.isSafeInteger(number) && number > 0 ? number : page;
}

/**
 * The datasets of one owner pushed to since a watermark, read from the host's listing ordered by last push with
 * conditional requests (GitHub does not count a 304 against the rate limit):
 * - no push and no creation: the first page answers 304, and so does the last page unless a repository went (every
 *   deletion shifts the tail of the listing): nothing counted;
 * - pushes: the first pages down to the watermark (100 repositories a page), and the last page for the count;
 * - a repository gone, or come without a push (a transfer): the count no longer adds up (the last page holds the
 *   listing's size), and the whole listing is read and returned as `complete` for the caller to compare.
 * Renames and topic changes move neither `pushed_at` nor the count: the caller's periodic full sync finds them.
 */
export async function listChangedSince(
  readPage: ListingPageReader,
  isDataset: (repository: ListedRepository) => boolean,
  watermark: string | undefined,
): Promise<ChangedDatasets> {
  const state = parseWatermark(watermark);
  if (!state) return readEverything(readPage, isDataset);
  const first = await readPage(1, state.firstEtag);
  if (first.notModified) {
    if (!state.last || state.last.page <= 1) return { changed: [], watermark: watermark! };
    const tail = await readPage(state.last.page, state.last.etag);
    // With the first page unchanged nothing was pushed or created: a changed tail means repositories went (or were renamed).
    return tail.notModified ? { changed: [], watermark: watermark! } : readEverything(readPage, isDataset, []);
  }
  const since = state.pushedAt ?? -Infinity;
  const recent: ListedRepository[] = [];
  let page: Loaded = first;
  let pageNumber = 1;
  for (;;) {
    const newer = page.repositories.filter((repository) => pushedAt(repository) >= since);
    recent.push(...newer);
    const finished =
      newer.length < page.repositories.length || page.repositories.length < LISTING_PAGE_SIZE || pageNumber >= first.lastPage;
    if (finished) break;
    pageNumber += 1;
    const next = await readPage(pageNumber);
    if (next.notModified) throw new Error('the listing answered 304 to an unconditional request');
    page = next;
  }
  let tail: { count: number; etag?: string };
  if (pageNumber >= first.lastPage) {
    tail = { count: (pageNumber - 1) * LISTING_PAGE_SIZE + page.repositories.length, ...(page.etag ? { etag: page.etag } : {}) };
  } else {
    const sameTail = state.last?.page === first.lastPage ? state.last.etag : undefined;
    const answer = await readPage(first.lastPage, sameTail);
    tail = answer.notModified
      ? { count: state.count, ...(sameTail ? { etag: sameTail } : {}) }
      : { count: (first.lastPage - 1) * LISTING_PAGE_SIZE + answer.repositories.length, ...(answer.etag ? { etag: answer.etag } : {}) };
  }
  // Repositories created since the last listing were created at or after its newest push; older ones at or before it.
  const createdAfter = recent.filter((repository) => (Date.parse(repository.created_at ?? '') || 0) > since).length;
  const createdAtWatermark = recent.filter((repository) => (Date.parse(repository.created_at ?? '') || 0) === since).length;
  const changed = names(recent, isDataset);
  if (tail.count !== state.count + createdAfter + createdAtWatermark) return readEverything(readPage, isDataset, changed);
  const newest = recent.reduce((latest, repository) => Math.max(latest, pushedAt(repository)), since);
  const next: ListingWatermark = {
    v: 1,
    pushedAt: Number.isFinite(newest) ? newest : null,
    count: tail.count,
    ...(first.etag ? { firstEtag: first.etag } : {}),
    last: { page: first.lastPage, ...(tail.etag ? { etag: tail.etag } : {}) },
  };
  return { changed, watermark: JSON.stringify(next) };
}

/** The whole listing (every page), as `complete`; `changed` is `knownChanged`, or every dataset when nothing is known (no watermark). */
async function readEverything(
  readPage: ListingPageReader,
  isDataset: (repository: ListedRepository) => boolean,
  knownChanged?: readonly string[],
): Promise<ChangedDatasets> {
  const all: ListedRepository[] = [];
  let first: Loaded | undefined;
  let last: Loaded | undefined;
  let pageNumber = 1;
  for (;;) {
    const answer = await readPage(pageNumber);
    if (answer.notModified) throw new Error('the listing answered 304 to an unconditional request');
    first ??= answer;
    last = answer;
    all.push(...answer.repositories);
    if (answer.repositories.length < LISTING_PAGE_SIZE || pageNumber >= answer.lastPage) break;
    pageNumber += 1;
  }
  const complete = names(all, isDataset);
  const newest = all.length > 0 ? all.reduce((latest, repository) => Math.max(latest, pushedAt(repository)), -Infinity) : null;
  const next: ListingWatermark = {
    v: 1,
    pushedAt: newest,
    count: (pageNumber - 1) * LISTING_PAGE_SIZE + last.repositories.length,
    ...(first.etag ? { firstEtag: first.etag } : {}),
    last: { page: pageNumber, ...(last.etag ? { etag: last.etag } : {}) },
  };
  return { changed: knownChanged ?? complete, complete, watermark: JSON.stringify(next) };
}

/** Distinct dataset names among `repositories`, sorted. */
function names(repositories: readonly ListedRepository[], isDataset: (repository: ListedRepository) => boolean): string[] {
  return [...new Set(repositories.filter(isDataset).map((repository) => repository.name))].sort();
}
