/** The config loader: each entry point names its tables; missing or bad variables fail by name. */
import { describe, expect, it } from 'vitest';
import { loadConfig, tableEnvironment } from '../functions/config.js';
import { TrackerError } from '../functions/core/errors.js';
import { localTableNames, TABLE_KEYS, TABLES } from '../functions/store/schema.js';

const failure = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    return error as TrackerError;
  }
  throw new Error('expected a failure');
};

describe('loadConfig', () => {
  it('reads the tables an entry point asks for, and the settings', () => {
    const env = { NODES_TABLE: 'n', AUTH_TABLE: 'a', AUTH_MODE: 'open', AUTHOR_MODE: 'true' };
    expect(loadConfig(['nodes', 'auth'], env)).toEqual({
      tables: { nodes: 'n', auth: 'a' },
      authMode: 'open',
      authorMode: true,
      dynamodbEndpoint: undefined,
      events: {
        retentionMs: 7 * 86_400_000,
        replayGraceMs: 60_000,
        webhookRetriesMs: [5, 300, 1800, 7200, 18_000, 36_000, 50_400, 72_000, 86_400].map((s) => s * 1000),
        webhookTimeoutMs: 15_000,
        webhookAllow: 'public',
        websocketEndpoint: undefined,
      },
    });
    expect(loadConfig(['nodes'], { NODES_TABLE: 'n' })).toMatchObject({
      tables: { nodes: 'n' },
      authMode: 'jwt',
    });
  });

  it('names every missing variable, as a usage error', () => {
    const error = failure(() => loadConfig(['nodes', 'auth'], {}));
    expect(error).toBeInstanceOf(TrackerError);
    expect(error.code).toBe('usage');
    expect(error.message).toBe('missing required environment variables NODES_TABLE, AUTH_TABLE');
    expect(failure(() => loadConfig(['auth'], { NODES_TABLE: 'n' })).message).toMatch(/variable AUTH_TABLE$/);
  });

  it('reads event settings as durations, naming a bad one', () => {
    const events = loadConfig(['nodes'], {
      NODES_TABLE: 'n',
      WEBHOOK_RETRIES: '1s, 2s',
      EVENT_RETENTION: '1h',
    }).events;
    expect(events).toMatchObject({ webhookRetriesMs: [1000, 2000], retentionMs: 3_600_000 });
    expect(failure(() => loadConfig(['nodes'], { NODES_TABLE: 'n', REPLAY_GRACE: 'soon' })).message).toMatch(
      /^REPLAY_GRACE: /,
    );
    expect(failure(() => loadConfig(['nodes'], { NODES_TABLE: 'n', WEBHOOK_ALLOW: 'all' })).message).toMatch(
      /WEBHOOK_ALLOW must be one of public, loopback, private/,
    );
  });

  it('refuses unknown modes by name', () => {
    expect(failure(() => loadConfig(['nodes'], { NODES_TABLE: 'n', AUTH_MODE: 'none' })).message).toMatch(
      /AUTH_MODE must be 'open' or 'jwt'/,
    );
    expect(failure(() => loadConfig(['nodes'], { NODES_TABLE: 'n', AUTHOR_MODE: 'yes' })).message).toMatch(
      /AUTHOR_MODE must be 'true' or 'false'/,
    );
  });

  it('reads back what tableEnvironment sets, for every table of the list', () => {
    const names = localTableNames('p');
    const config = loadConfig(TABLE_KEYS, tableEnvironment(names));
    expect(config.tables).toEqual(names);
    for (const key of TABLE_KEYS)
      expect(tableEnvironment(names)[TABLES[key].env]).toBe(`p-${TABLES[key].suffix}`);
  });
});
