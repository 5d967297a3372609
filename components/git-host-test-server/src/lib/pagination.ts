/** A page request from `per_page` and `page` query parameters. */
export interface PageRequest {
  readonly perPage: number;
  readonly page: number;
}

/** Page size and number from `per_page` (default `defaultPerPage`, at most `maxPerPage`) and `page` (default 1). */
export function pageRequest(
  query: Readonly<Record<string, string | undefined>>,
  { defaultPerPage, maxPerPage }: { defaultPerPage: number; maxPerPage: number },
): PageRequest {
  const perPage = Number.parseInt(query.per_page ?? '', 10);
  const page = Number.parseInt(query.page ?? '', 10);
  return {
    perPage: Number.isFinite(perPage) && perPage > 0 ? Math.min(perPage, maxPerPage) : defaultPerPage,
    page: Number.isFinite(page) && page > 0 ? page : 1,
  };
}

/** The URL of another page of the same request: its other parameters kept, `page` and `per_page` set. */
export function pageUrl(baseUrl: string, requestUrl: string, perPage: number, page: number): string {
  const target = new URL(requestUrl, baseUrl);
  target.searchParams.set('per_page', String(perPage));
  target.searchParams.set('page', String(page));
  return `${baseUrl}${target.pathname}${target.search}`;
}
