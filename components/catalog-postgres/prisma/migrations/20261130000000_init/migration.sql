-- The catalog schema. Written from `prisma migrate diff --from-empty`, plus what Prisma's schema cannot say:
-- byte-order ("C") collation of the keys, the full-text column and its helper function, the partial outbox index.
-- No semicolon may appear except at the end of a statement, not even in a comment or a function body:
-- the JavaScript schema engine's pg adapter splits scripts on every semicolon (adapter-pg executeScript).

-- Keys sort in byte order ("C"), the same on every server whatever its default collation, so keyset
-- pagination and (owner, name) order agree with the API's other listings.
CREATE TABLE "datasets" (
    "owner" TEXT COLLATE "C" NOT NULL,
    "name" TEXT COLLATE "C" NOT NULL,
    "backend" TEXT NOT NULL,
    "location" TEXT NOT NULL,
    "head_revision" TEXT NOT NULL,
    "title" TEXT,
    "description" TEXT,
    "keywords" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[],
    "licenses" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[],
    "resource_count" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    "deleted" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "datasets_pkey" PRIMARY KEY ("owner","name")
);

-- A generated column may only call IMMUTABLE functions, and array_to_string is declared STABLE (it formats
-- elements through their type's output function), though for text[] its result depends on nothing else.
CREATE FUNCTION "catalog_keywords_text"("keywords" TEXT[]) RETURNS TEXT
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT coalesce(array_to_string("keywords", ' '), '') $$;

-- Full-text search: title weighs most (A), then keywords (B), then description (C). The 'english'
-- configuration stems words ("temperatures" finds "temperature") and drops stop words. Queries must use it too.
ALTER TABLE "datasets" ADD COLUMN "search_vector" tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english'::regconfig, coalesce("title", '')), 'A') ||
    setweight(to_tsvector('english'::regconfig, "catalog_keywords_text"("keywords")), 'B') ||
    setweight(to_tsvector('english'::regconfig, coalesce("description", '')), 'C')
) STORED;

CREATE TABLE "descriptors" (
    "owner" TEXT COLLATE "C" NOT NULL,
    "name" TEXT COLLATE "C" NOT NULL,
    "revision" TEXT NOT NULL,
    "source" TEXT NOT NULL,

    CONSTRAINT "descriptors_pkey" PRIMARY KEY ("owner","name","revision")
);

CREATE TABLE "tags" (
    "owner" TEXT COLLATE "C" NOT NULL,
    "name" TEXT COLLATE "C" NOT NULL,
    "tag_name" TEXT COLLATE "C" NOT NULL,
    "target" TEXT NOT NULL,
    "description" TEXT NOT NULL,
    "author_name" TEXT NOT NULL,
    "author_email" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "tags_pkey" PRIMARY KEY ("owner","name","tag_name")
);

CREATE TABLE "outbox_events" (
    "sequence" BIGSERIAL NOT NULL,
    "event_id" UUID NOT NULL,
    "owner" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "published_at" TIMESTAMPTZ(3),

    CONSTRAINT "outbox_events_pkey" PRIMARY KEY ("sequence")
);

-- Keyword filter (keywords @> ARRAY[$1]).
CREATE INDEX "datasets_keywords_idx" ON "datasets" USING GIN ("keywords");

CREATE INDEX "datasets_search_vector_idx" ON "datasets" USING GIN ("search_vector");

-- updatedSince filter. The (owner, name) keyset order is the primary key.
CREATE INDEX "datasets_updated_at_idx" ON "datasets"("updated_at", "owner", "name");

CREATE UNIQUE INDEX "outbox_events_event_id_key" ON "outbox_events"("event_id");

-- The relay reads only the unpublished tail, oldest first.
CREATE INDEX "outbox_events_unpublished_idx" ON "outbox_events"("sequence") WHERE "published_at" IS NULL;
