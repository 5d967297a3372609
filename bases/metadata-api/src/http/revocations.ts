/** The revocation cache lives in @metastore/authz beside the RevocationList port; re-exported for the base's modules that import it from here. */
export { CachedRevocations } from '@metastore/authz';
export type { CachedRevocationsOptions, RevocationListHealth, RevocationLogger, RevocationSource } from '@metastore/authz';
