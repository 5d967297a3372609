-- Where the incremental sync stands per storage backend and owner: the backend's opaque watermark (for GitHub the
-- newest push seen and the ETags of its listing), kept here because a CronJob's process starts cold.
-- No semicolon may appear except at the end of a statement (see the init migration).

CREATE TABLE "sync_watermarks" (
    "backend" TEXT COLLATE "C" NOT NULL,
    "owner" TEXT COLLATE "C" NOT NULL,
    "value" TEXT NOT NULL,
    "full_sync_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "sync_watermarks_pkey" PRIMARY KEY ("backend", "owner")
);
