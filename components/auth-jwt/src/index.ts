export { JwtIssuer } from './lib/jwt-issuer';
export type { IssuedToken, TokenClaims } from './lib/jwt-issuer';
export { jwtVariables, parseJwtConfig } from './lib/jwt.config';
export type { JwtAlgorithm, JwtConfig, VerificationKey } from './lib/jwt.config';
export { DEFAULT_VERIFIED_TOKEN_CACHE, JwtVerifier } from './lib/jwt-verifier';
export type { JwtVerifierOptions, VerifiedToken, VerifiedTokenCacheOptions } from './lib/jwt-verifier';
export { ensureLocalSigningSecret } from './lib/local-secret';
