export { JwtIssuer } from './lib/jwt-issuer';
export type { IssuedToken, TokenClaims } from './lib/jwt-issuer';
export { parseJwtConfig } from './lib/jwt.config';
export type { JwtAlgorithm, JwtConfig, VerificationKey } from './lib/jwt.config';
export { JwtVerifier } from './lib/jwt-verifier';
export type { VerifiedToken } from './lib/jwt-verifier';
export { ensureLocalSigningSecret } from './lib/local-secret';
