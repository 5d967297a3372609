import { parseRedisEventsConfig } from './redis-events.config';
import { redactRedisUrl, scrubRedisError } from './redis-connection';

/** The message of the ConfigurationError `values` raise. */
function problem(values: Record<string, string | undefined>): string {
  try {
    parseRedisEventsConfig(values);
  } catch (error) {
    expect(error).toMatchObject({ code: 'CONFIGURATION_INVALID' });
    return (error as Error).message;
  }
  throw new Error('expected a ConfigurationError');
}

describe('parseRedisEventsConfig', () => {
  it('has defaults for every setting; empty counts as unset', () => {
    const defaults = { url: 'redis://127.0.0.1:6379', stream: 'metastore:events', maxLength: 100_000 };
    expect(parseRedisEventsConfig({})).toEqual(defaults);
    expect(parseRedisEventsConfig({ REDIS_URL: '', METASTORE_EVENTS_STREAM: '', METASTORE_EVENTS_MAXLEN: '' })).toEqual(defaults);
  });

  it('takes the URL, stream key and retention', () => {
    expect(
      parseRedisEventsConfig({
        REDIS_URL: 'rediss://user:pw@redis.example:6380/2',
        METASTORE_EVENTS_STREAM: 'prod:events',
        METASTORE_EVENTS_MAXLEN: '5000',
      }),
    ).toEqual({ url: 'rediss://user:pw@redis.example:6380/2', stream: 'prod:events', maxLength: 5000 });
  });

  it('names every bad variable and never echoes the URL', () => {
    const message = problem({
      REDIS_URL: 'http://:topsecret@redis.example',
      METASTORE_EVENTS_STREAM: 'has space',
      METASTORE_EVENTS_MAXLEN: '0',
    });
    expect(message).toContain('REDIS_URL: must be a redis:// or rediss:// URL');
    expect(message).toContain('METASTORE_EVENTS_STREAM');
    expect(message).toContain('METASTORE_EVENTS_MAXLEN');
    expect(message).not.toContain('topsecret');
    expect(problem({ REDIS_URL: 'not a url with secret' })).not.toContain('secret');
    expect(problem({ METASTORE_EVENTS_MAXLEN: 'many' })).toContain('METASTORE_EVENTS_MAXLEN');
  });
});

describe('redactRedisUrl and scrubRedisError', () => {
  it('replaces the password only', () => {
    expect(redactRedisUrl('redis://user:p%40ss@redis.example:6379/1')).toBe('redis://user:***@redis.example:6379/1');
    expect(redactRedisUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
    expect(redactRedisUrl('::nonsense')).toBe('<unparseable Redis URL>');
  });

  it('replaces an error that carries the password (a failed AUTH keeps its arguments) by a redacted copy', () => {
    const url = 'redis://user:p%40ss@redis.example:6379';
    const authError = Object.assign(new Error('WRONGPASS invalid username-password pair'), {
      command: { name: 'auth', args: ['user', 'p@ss'] },
    });
    const scrubbed = scrubRedisError(authError, url);
    expect(scrubbed).not.toBe(authError);
    expect(scrubbed.message).toBe('WRONGPASS invalid username-password pair');
    expect(JSON.stringify({ ...scrubbed })).not.toContain('p@ss');
    expect(scrubRedisError(new Error('boom p@ss'), url).message).toBe('boom ***');
    const harmless = new Error('connect ECONNREFUSED');
    expect(scrubRedisError(harmless, url)).toBe(harmless);
  });
});
