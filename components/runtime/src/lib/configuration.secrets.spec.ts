import fc from 'fast-check';
import { declaredVariables } from './configuration.docs';
import { loadApiConfig, loadCliConfig, loadIndexerConfig, loadTokenConfig, loadWorkerConfig } from './runtime.config';

const LOADERS = { loadApiConfig, loadWorkerConfig, loadCliConfig, loadIndexerConfig, loadTokenConfig };

/** Ways a secret arrives: bare, inside a URL's credentials (valid or not), inside a PEM block. */
const SHAPES: readonly ((secret: string) => string)[] = [
  (secret) => secret,
  (secret) => `postgresql://metastore:${secret}@db.internal:5432/metastore`,
  (secret) => `mysql://root:${secret}@db/x`,
  (secret) => `redis://:${secret}@`,
  (secret) => `http://user:${secret}@cache`,
  (secret) => `-----BEGIN RSA PRIVATE KEY-----\\n${secret}\\n-----END RSA PRIVATE KEY-----`,
];

describe('secrets in configuration errors', () => {
  const secrets = declaredVariables()
    .filter((variable) => variable.secret)
    .map((variable) => variable.name);

  it('are marked on every variable that can carry one: credentials by name, and the URLs that may hold a password', () => {
    const credentials = declaredVariables()
      .map((variable) => variable.name)
      .filter((name) => /TOKEN|SECRET|PRIVATE_KEY|PASSWORD/.test(name));
    expect(credentials).toEqual(expect.arrayContaining(['GITHUB_TOKEN', 'GITHUB_APP_PRIVATE_KEY', 'METASTORE_JWT_SECRET']));
    expect(secrets.sort()).toEqual([...credentials, 'DATABASE_URL', 'REDIS_URL'].sort());
  });

  it('never appear in the message, whatever the value and whatever else is wrong', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[A-Za-z0-9_-]{12,40}$/),
        fc.constantFrom(...SHAPES),
        fc.subarray(secrets, { minLength: 1 }),
        fc.constantFrom(...Object.values(LOADERS)),
        fc.boolean(),
        (secret, shape, names, load, github) => {
          // Something else is always wrong, so every loader fails (and must not print the secret on its way).
          const env: Record<string, string> = {
            LOG_LEVEL: 'loud',
            METASTORE_DEFAULT_BRANCH: 'a b',
            ...(github ? { STORAGE: 'github' } : {}),
          };
          for (const name of names) env[name] = shape(secret);
          let message: string | undefined;
          try {
            load(env);
          } catch (error) {
            expect(error).toMatchObject({ code: 'CONFIGURATION_INVALID' });
            message = (error as Error).message;
          }
          expect(message).toBeDefined();
          expect(message).not.toContain(secret);
        },
      ),
      { numRuns: 300 },
    );
  });
});
