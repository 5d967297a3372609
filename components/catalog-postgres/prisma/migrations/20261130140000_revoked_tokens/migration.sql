-- Revoked bearer tokens, by token id (the JWT's jti), kept until they would have expired anyway.
-- No semicolon may appear except at the end of a statement (see the init migration).

CREATE TABLE "revoked_tokens" (
    "token_id" TEXT COLLATE "C" NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "revoked_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "revoked_tokens_pkey" PRIMARY KEY ("token_id")
);

CREATE INDEX "revoked_tokens_expires_at_idx" ON "revoked_tokens"("expires_at");
