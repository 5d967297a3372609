import { withClient } from './pg-client';

/** Word lists for synthetic datasets: enough variety for realistic full-text and keyword selectivity. */
const SEED_TOPICS = [
  'rainfall',
  'temperature',
  'river discharge',
  'air quality',
  'soil moisture',
  'population',
  'crop yield',
  'electricity demand',
  'traffic counts',
  'bird migration',
  'sea level',
  'groundwater',
  'wildfire',
  'snow cover',
  'public transport',
  'household income',
  'hospital admissions',
  'school enrolment',
  'fish stocks',
  'wind speed',
];
const SEED_REGIONS = [
  'Norway',
  'Kenya',
  'Chile',
  'Bavaria',
  'Ontario',
  'Kerala',
  'Tasmania',
  'Andalusia',
  'Hokkaido',
  'Patagonia',
  'Scotland',
  'Ghana',
];
const SEED_CADENCES = ['Daily', 'Hourly', 'Monthly', 'Annual', 'Weekly'];
const SEED_LICENSES = ['CC-BY-4.0', 'CC0-1.0', 'ODC-By-1.0', 'ODbL-1.0'];

/**
 * Inserts `count` synthetic dataset rows in one statement (INSERT ... SELECT generate_series), for
 * benchmarks: owners `<prefix>-0` to `<prefix>-49`, varied titles, descriptions and keywords, with their
 * `dataset_keywords` rows (as `apply` writes them). Rows that exist are left alone. Returns how many were inserted.
 * Gathers no statistics: the store's maintenance does (`createCatalogDatabase`), or run ANALYZE.
 */
export async function seedCatalog(url: string, count: number, options: { prefix?: string } = {}): Promise<number> {
  const prefix = options.prefix ?? 'seed';
  return withClient(url, async (client) => {
    const result = await client.query<{ inserted: string }>(
      `WITH inserted AS (
       INSERT INTO datasets (owner, name, backend, location, head_revision, title, description, keywords, licenses,
                             resource_count, created_at, updated_at, deleted)
       SELECT $1 || '-' || (i % 50),
              'dataset-' || i,
              'local',
              $1 || '-' || (i % 50) || '/dataset-' || i || '.git',
              md5(i::text) || substr(md5((i + 1)::text), 1, 8),
              cadence || ' ' || topic || ' in ' || region,
              cadence || ' measurements of ' || topic || ' across ' || region || ', collected by station network ' || (i % 97) ||
                ' and published for reuse.',
              ARRAY[replace(topic, ' ', '-'), lower(region), lower(cadence)] || CASE WHEN i % 3 = 0 THEN ARRAY['open-data'] ELSE ARRAY[]::text[] END,
              ARRAY[($5::text[])[1 + i % 4]],
              1 + i % 12,
              timestamptz '2020-01-01' + (i % 1000) * interval '1 day',
              timestamptz '2023-01-01' + (i % 100000) * interval '7 minutes',
              false
       FROM generate_series(1, $6::int) AS i,
            -- hashint4 spreads the words independently of the owner (i % 50) and of each other.
            LATERAL (SELECT ($2::text[])[1 + (hashint4(i) & 2147483647) % cardinality($2::text[])] AS topic,
                            ($3::text[])[1 + (hashint4(i + 1000003) & 2147483647) % cardinality($3::text[])] AS region,
                            ($4::text[])[1 + (hashint4(i + 2000003) & 2147483647) % cardinality($4::text[])] AS cadence) AS words
       ON CONFLICT DO NOTHING
       RETURNING owner, name, keywords
       ),
       -- The keyword index of the rows just inserted (the foreign key is checked at the end of the statement).
       keywords AS (
         INSERT INTO dataset_keywords (keyword, owner, name)
         SELECT DISTINCT keyword, owner, name FROM inserted, unnest(keywords) AS keyword
       )
       SELECT count(*) AS inserted FROM inserted`,
      [prefix, SEED_TOPICS, SEED_REGIONS, SEED_CADENCES, SEED_LICENSES, count],
    );
    return Number(result.rows[0]?.inserted ?? 0);
  });
}
