/**
 * Configuration, read once at start from the environment variables the infra (or the local
 * runtime) sets. Each entry point names the tables it uses; a missing variable fails with its name.
 */
import { TrackerError } from './core/errors.js';
import { parseDuration } from './core/duration.js';
import type { AuthMode } from './core/permissions.js';
import { TABLES, type TableKey } from './store/schema.js';

/** Variables of the settings that are not table names. */
export const SETTINGS_ENV = {
  authMode: 'AUTH_MODE',
  authorMode: 'AUTHOR_MODE',
  dynamodbEndpoint: 'DYNAMODB_ENDPOINT',
  eventRetention: 'EVENT_RETENTION',
  replayGrace: 'REPLAY_GRACE',
  webhookRetries: 'WEBHOOK_RETRIES',
  webhookTimeout: 'WEBHOOK_TIMEOUT',
  webhookAllow: 'WEBHOOK_ALLOW',
  websocketEndpoint: 'WEBSOCKET_ENDPOINT',
  webhookQueueUrl: 'WEBHOOK_QUEUE_URL',
} as const;

/** Which webhook receivers may be called: public addresses only, plus loopback, or also private ones. */
export const WEBHOOK_ALLOW = ['public', 'loopback', 'private'] as const;
export type WebhookAllow = (typeof WEBHOOK_ALLOW)[number];

/** Change events and webhooks (each a duration like `7d`, `60s`, or a list of them). */
export interface EventSettings {
  /** How long the event log keeps events for replay. Default 7 days. */
  retentionMs: number;
  /** How far before `since` a replay starts, to catch events logged late by a parallel shard. Default 60 s. */
  replayGraceMs: number;
  /** Delays between webhook attempts (Standard Webhooks: 5s, 5m, 30m, 2h, 5h, 10h, 14h, 20h, 24h). */
  webhookRetriesMs: number[];
  /** How long a receiver has to answer. Default 15 s. */
  webhookTimeoutMs: number;
  /** Receivers allowed besides public addresses; the cloud allows `public` only by default. */
  webhookAllow: WebhookAllow;
  /** The API Gateway management endpoint of the WebSocket API (`https://…/stage`, locally the host). */
  websocketEndpoint?: string;
  /** The SQS queue the fan-out nudges when it queues webhook deliveries (cloud only). */
  webhookQueueUrl?: string;
}

export const EVENT_DEFAULTS = {
  eventRetention: '7d',
  replayGrace: '60s',
  webhookRetries: '5s,5m,30m,2h,5h,10h,14h,20h,24h',
  webhookTimeout: '15s',
  webhookAllow: 'public',
} as const;

export interface TrackerConfig<K extends TableKey = TableKey> {
  /** Table names by table key. */
  tables: Record<K, string>;
  authMode: AuthMode;
  /** Non-editors may only change nodes they authored. */
  authorMode: boolean;
  /** Set for DynamoDB Local; absent in the cloud. */
  dynamodbEndpoint?: string;
  events: EventSettings;
}

type Env = Record<string, string | undefined>;

const configError = (message: string) => new TrackerError('usage', message);

export function loadConfig<K extends TableKey>(
  tables: readonly K[],
  env: Env = process.env,
): TrackerConfig<K> {
  const missing = tables.map((key) => TABLES[key].env).filter((name) => !env[name]);
  if (missing.length > 0) {
    throw configError(
      `missing required environment variable${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`,
    );
  }
  const authMode = env[SETTINGS_ENV.authMode] || 'jwt';
  if (authMode !== 'open' && authMode !== 'jwt') {
    throw configError(`${SETTINGS_ENV.authMode} must be 'open' or 'jwt', not '${authMode}'`);
  }
  const authorMode = env[SETTINGS_ENV.authorMode] || 'false';
  if (authorMode !== 'true' && authorMode !== 'false') {
    throw configError(`${SETTINGS_ENV.authorMode} must be 'true' or 'false', not '${authorMode}'`);
  }
  return {
    tables: Object.fromEntries(tables.map((key) => [key, env[TABLES[key].env]!])) as Record<K, string>,
    authMode,
    authorMode: authorMode === 'true',
    dynamodbEndpoint: env[SETTINGS_ENV.dynamodbEndpoint] || undefined,
    events: eventSettings(env),
  };
}

function duration(
  env: Env,
  key: keyof typeof EVENT_DEFAULTS & keyof typeof SETTINGS_ENV,
  text?: string,
): number {
  const name = SETTINGS_ENV[key];
  const value = text ?? env[name] ?? EVENT_DEFAULTS[key];
  try {
    return parseDuration(value.trim());
  } catch (error) {
    throw configError(`${name}: ${(error as Error).message}`);
  }
}

function eventSettings(env: Env): EventSettings {
  const retries = env[SETTINGS_ENV.webhookRetries] || EVENT_DEFAULTS.webhookRetries;
  const allow = env[SETTINGS_ENV.webhookAllow] || EVENT_DEFAULTS.webhookAllow;
  if (!(WEBHOOK_ALLOW as readonly string[]).includes(allow)) {
    throw configError(
      `${SETTINGS_ENV.webhookAllow} must be one of ${WEBHOOK_ALLOW.join(', ')}, not '${allow}'`,
    );
  }
  return {
    retentionMs: duration(env, 'eventRetention'),
    replayGraceMs: duration(env, 'replayGrace'),
    webhookRetriesMs: retries.split(',').map((part) => duration(env, 'webhookRetries', part)),
    webhookTimeoutMs: duration(env, 'webhookTimeout'),
    webhookAllow: allow as WebhookAllow,
    websocketEndpoint: env[SETTINGS_ENV.websocketEndpoint] || undefined,
    webhookQueueUrl: env[SETTINGS_ENV.webhookQueueUrl] || undefined,
  };
}

/** The variables that give handlers these table names (what the infra and the local runtime set). */
export function tableEnvironment(names: Partial<Record<TableKey, string>>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(names).map(([key, name]) => [TABLES[key as TableKey].env, name as string]),
  );
}
