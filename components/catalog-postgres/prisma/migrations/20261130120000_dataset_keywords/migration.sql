-- The keyword filter as an index range: one row per (keyword, dataset) for every dataset that is not deleted,
-- kept by the adapter's apply in the transaction that writes the dataset's row. `keyword = $1 ORDER BY owner, name`
-- is then a walk of this primary key that stops after a page, however common or rare the keyword (the GIN index on
-- the keywords array it replaces left the planner to guess how many rows would match, and a rare keyword the
-- statistics did not list made it walk the datasets' primary key and filter every row).
-- No semicolon may appear except at the end of a statement (see the init migration).

CREATE TABLE "dataset_keywords" (
    "keyword" TEXT COLLATE "C" NOT NULL,
    "owner" TEXT COLLATE "C" NOT NULL,
    "name" TEXT COLLATE "C" NOT NULL,

    CONSTRAINT "dataset_keywords_pkey" PRIMARY KEY ("keyword","owner","name")
);

-- A dataset's keywords, to replace them on update (and for the foreign key's cascade).
CREATE INDEX "dataset_keywords_dataset_idx" ON "dataset_keywords"("owner", "name");

ALTER TABLE "dataset_keywords" ADD CONSTRAINT "dataset_keywords_dataset_fkey" FOREIGN KEY ("owner", "name") REFERENCES "datasets"("owner", "name") ON DELETE CASCADE ON UPDATE CASCADE;

-- Backfill from the rows already there (tombstones have none). DISTINCT: an array may repeat a keyword.
INSERT INTO "dataset_keywords" ("keyword", "owner", "name")
SELECT DISTINCT "keyword", "owner", "name"
FROM "datasets", unnest("keywords") AS "keyword"
WHERE NOT "deleted";

-- Nothing reads the array through an index any more.
DROP INDEX "datasets_keywords_idx";

-- Statistics for the planner at once: an embedded database has no autovacuum to gather them later.
ANALYZE "dataset_keywords";
