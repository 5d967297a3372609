import { type KeyObject, createPublicKey, randomBytes, verify } from 'node:crypto';
import type { AccountRecord } from './repository-store';
import { GitHubErrorResponse } from './routes/route';

/** A permission level of a GitHub App (`app-permissions` in GitHub's description). */
export type AppPermissionLevel = 'read' | 'write';

/** A GitHub App the test server knows: its id, the public half of its key, and what it may do. */
export interface GitHubTestApp {
  /** The App ID (the JWT's `iss`). */
  readonly id: number;
  /** The PEM public key matching the App's private key (the server verifies JWTs with it). */
  readonly publicKeyPem: string;
  /** Default `metastore-test-app-<id>`. */
  readonly slug?: string;
  /** Repository permissions; default administration write, contents write, metadata read. */
  readonly permissions?: Readonly<Record<string, AppPermissionLevel>>;
  /** Logins the App is installed on; default every account, installed on first use. */
  readonly installedOn?: readonly string[];
}

/** An installation of an App on one account. */
export interface InstallationRecord {
  readonly id: number;
  readonly app: RegisteredApp;
  readonly account: AccountRecord;
  readonly createdAt: string;
}

/** An installation access token the server issued (`ghs_...`). */
export interface IssuedInstallationToken {
  readonly token: string;
  readonly installationId: number;
  /** Milliseconds since the epoch. */
  readonly expiresAt: number;
  readonly permissions: Readonly<Record<string, AppPermissionLevel>>;
}

/** An App as the server keeps it. */
export interface RegisteredApp {
  readonly id: number;
  readonly slug: string;
  readonly clientId: string;
  readonly publicKey: KeyObject;
  readonly permissions: Readonly<Record<string, AppPermissionLevel>>;
  readonly installedOn?: ReadonlySet<string>;
  /** The `<slug>[bot]` account that commits in the App's name. */
  readonly bot: AccountRecord;
  readonly createdAt: string;
}

/** What a request's credentials were, as recorded by the server (only server-minted tokens are kept verbatim). */
export type RecordedCredential =
  | { readonly type: 'none' }
  /** A token the server did not mint (a personal access token): its value is never kept. */
  | { readonly type: 'token' }
  /** A GitHub App JWT; `appId` when it verified. */
  | { readonly type: 'app-jwt'; readonly appId?: number }
  /** An installation access token; `installationId` when it is one the server issued. */
  | { readonly type: 'installation'; readonly token: string; readonly installationId?: number };

/** The outcome of reading a request's `Authorization` header. */
export interface Authentication {
  readonly credential: RecordedCredential;
  /** The App a valid JWT authenticates. */
  readonly app?: RegisteredApp;
  /** Why a JWT did not authenticate (only enforced on the App endpoints). */
  readonly jwtFailure?: GitHubErrorResponse;
  /** The installation and token of a valid installation access token. */
  readonly installation?: { readonly record: InstallationRecord; readonly token: IssuedInstallationToken };
  /** Set for an installation access token that is unknown or expired: GitHub answers 401 everywhere. */
  readonly failure?: GitHubErrorResponse;
}

const DEFAULT_PERMISSIONS: Readonly<Record<string, AppPermissionLevel>> = { administration: 'write', contents: 'write', metadata: 'read' };
/** "Must be no more than 10 minutes into the future." (GitHub, generating a JWT for a GitHub App) */
const MAX_JWT_LIFETIME_SECONDS = 600;
const TOKEN_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** GitHub's answer on an App endpoint to anything but a valid App JWT. */
export const badJwt = () => new GitHubErrorResponse(401, 'A JSON web token could not be decoded');
const badCredentials = () => new GitHubErrorResponse(401, 'Bad credentials');

function decodeSegment(segment: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as unknown;
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function randomToken(): string {
  const bytes = randomBytes(36);
  return `ghs_${Array.from(bytes, (byte) => TOKEN_ALPHABET[byte % TOKEN_ALPHABET.length]).join('')}`;
}

/** Whether `granted` allows `needed` (write implies read). */
export function permits(granted: AppPermissionLevel | undefined, needed: AppPermissionLevel): boolean {
  return granted === 'write' || (granted === 'read' && needed === 'read');
}

/**
 * GitHub Apps of the test server: verifies App JWTs (RS256, `iss`, `iat`, `exp` within GitHub's
 * ten minutes), keeps one installation per App and account, and issues installation access tokens.
 * Installations and tokens live in memory only.
 */
export class GitHubApps {
  private readonly apps = new Map<number, RegisteredApp>();
  private readonly installations = new Map<string, InstallationRecord>();
  private readonly installationsById = new Map<number, InstallationRecord>();
  private readonly tokens = new Map<string, IssuedInstallationToken>();
  private readonly issuedTokens: IssuedInstallationToken[] = [];
  private nextInstallationId = 40_000_001;

  constructor(
    apps: readonly GitHubTestApp[],
    private readonly tokenLifetimeSeconds: number,
    private readonly now: () => number,
  ) {
    apps.forEach((app, index) => {
      const slug = app.slug ?? `metastore-test-app-${app.id}`;
      this.apps.set(app.id, {
        id: app.id,
        slug,
        clientId: `Iv23li${app.id.toString(16).padStart(14, '0')}`,
        publicKey: createPublicKey(app.publicKeyPem),
        permissions: app.permissions ?? DEFAULT_PERMISSIONS,
        ...(app.installedOn ? { installedOn: new Set(app.installedOn.map((login) => login.toLowerCase())) } : {}),
        bot: { login: `${slug}[bot]`, id: 49_000_001 + index, type: 'Bot', createdAt: new Date(this.now()).toISOString() },
        createdAt: new Date(this.now()).toISOString(),
      });
    });
  }

  /** Every installation access token issued so far, oldest first. */
  get issued(): readonly IssuedInstallationToken[] {
    return this.issuedTokens;
  }

  /** Reads an `Authorization` header (`token X` or `bearer X`). */
  authenticate(header: string | undefined): Authentication {
    const match = /^(?:token|bearer)\s+(\S+)$/i.exec(header?.trim() ?? '');
    if (!match) return { credential: { type: 'none' } };
    const value = match[1]!;
    if (value.startsWith('ghs_')) {
      const token = this.tokens.get(value);
      const record = token ? this.installationsById.get(token.installationId) : undefined;
      if (!token || !record || token.expiresAt <= this.now()) {
        return {
          credential: { type: 'installation', token: value, ...(token ? { installationId: token.installationId } : {}) },
          failure: badCredentials(),
        };
      }
      return { credential: { type: 'installation', token: value, installationId: record.id }, installation: { record, token } };
    }
    const parts = value.split('.');
    if (parts.length === 3 && value.startsWith('eyJ')) return this.verifyJwt(parts as [string, string, string]);
    return { credential: { type: 'token' } };
  }

  /** The installation of `app` on `account`, created on first use (404 when the App is not installed there). */
  installationFor(app: RegisteredApp, account: AccountRecord): InstallationRecord {
    if (app.installedOn && !app.installedOn.has(account.login.toLowerCase())) throw new GitHubErrorResponse(404, 'Not Found');
    const key = `${app.id}:${account.login.toLowerCase()}`;
    let installation = this.installations.get(key);
    if (!installation) {
      installation = { id: this.nextInstallationId++, app, account, createdAt: new Date(this.now()).toISOString() };
      this.installations.set(key, installation);
      this.installationsById.set(installation.id, installation);
    }
    return installation;
  }

  /** How many accounts `app` is installed on. */
  installationCount(app: RegisteredApp): number {
    return [...this.installationsById.values()].filter((installation) => installation.app.id === app.id).length;
  }

  /** An installation of `app` by id (404 for another App's or an unknown one). */
  installationById(app: RegisteredApp, id: number): InstallationRecord {
    const installation = this.installationsById.get(id);
    if (!installation || installation.app.id !== app.id) throw new GitHubErrorResponse(404, 'Not Found');
    return installation;
  }

  /** Issues an installation access token with `permissions` (default: all of the App's). */
  issueToken(installation: InstallationRecord, permissions?: Readonly<Record<string, AppPermissionLevel>>): IssuedInstallationToken {
    const granted = permissions ?? installation.app.permissions;
    for (const [name, level] of Object.entries(granted)) {
      if (!permits(installation.app.permissions[name], level)) {
        throw new GitHubErrorResponse(422, 'The permissions requested are not granted to this installation.');
      }
    }
    const token: IssuedInstallationToken = {
      token: randomToken(),
      installationId: installation.id,
      expiresAt: this.now() + this.tokenLifetimeSeconds * 1000,
      permissions: { ...granted },
    };
    this.tokens.set(token.token, token);
    this.issuedTokens.push(token);
    return token;
  }

  private verifyJwt([header, payload, signature]: [string, string, string]): Authentication {
    const claims = decodeSegment(payload);
    const issuer = claims?.iss;
    const appId = typeof issuer === 'number' || (typeof issuer === 'string' && /^\d+$/.test(issuer)) ? Number(issuer) : undefined;
    const unverified = { credential: { type: 'app-jwt' as const } };
    if (decodeSegment(header)?.alg !== 'RS256' || !claims || appId === undefined) return { ...unverified, jwtFailure: badJwt() };
    const app = this.apps.get(appId);
    if (!app) return { ...unverified, jwtFailure: new GitHubErrorResponse(404, 'Integration not found') };
    const signed = verify('RSA-SHA256', Buffer.from(`${header}.${payload}`), app.publicKey, Buffer.from(signature, 'base64url'));
    if (!signed) return { ...unverified, jwtFailure: badJwt() };
    const nowSeconds = Math.floor(this.now() / 1000);
    const { iat, exp } = claims;
    if (typeof iat !== 'number' || !Number.isInteger(iat) || iat > nowSeconds) {
      return {
        ...unverified,
        jwtFailure: new GitHubErrorResponse(
          401,
          "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued",
        ),
      };
    }
    if (typeof exp !== 'number' || exp <= nowSeconds) {
      return {
        ...unverified,
        jwtFailure: new GitHubErrorResponse(
          401,
          "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires",
        ),
      };
    }
    if (exp > nowSeconds + MAX_JWT_LIFETIME_SECONDS) {
      return { ...unverified, jwtFailure: new GitHubErrorResponse(401, "'Expiration time' claim ('exp') is too far in the future") };
    }
    return { credential: { type: 'app-jwt', appId }, app };
  }
}

/**
 * The repository permission an installation access token needs for an operation (GitHub's
 * "Permissions required for GitHub Apps"), `false` for endpoints only users can call, undefined
 * when none is needed.
 */
export function requiredPermission(
  method: string,
  template: string,
): { readonly name: string; readonly level: AppPermissionLevel } | false | undefined {
  if (template === '/user' || template === '/user/repos') return false;
  if (template === '/rate_limit') return undefined;
  const administration = { name: 'administration', level: 'write' as const };
  const metadata = { name: 'metadata', level: 'read' as const };
  if (method === 'POST' && template === '/orgs/{org}/repos') return administration;
  if (method === 'DELETE' && template === '/repos/{owner}/{repo}') return administration;
  if (method === 'PUT' && template === '/repos/{owner}/{repo}/topics') return administration;
  if (
    template === '/orgs/{org}/repos' ||
    template === '/users/{username}/repos' ||
    template === '/repos/{owner}/{repo}' ||
    template === '/repos/{owner}/{repo}/topics'
  ) {
    return metadata;
  }
  return { name: 'contents', level: method === 'GET' ? 'read' : 'write' };
}
