/**
 * Configuration, read once at start from the environment variables the infra (or the local
 * runtime) sets. Each entry point names the tables it uses; a missing variable fails with its name.
 */
import { TrackerError } from './core/errors.js';
import type { AuthMode } from './core/permissions.js';
import { TABLES, type TableKey } from './store/schema.js';

/** Variables of the settings that are not table names. */
export const SETTINGS_ENV = {
  authMode: 'AUTH_MODE',
  authorMode: 'AUTHOR_MODE',
  dynamodbEndpoint: 'DYNAMODB_ENDPOINT',
} as const;

export interface TrackerConfig<K extends TableKey = TableKey> {
  /** Table names by table key. */
  tables: Record<K, string>;
  authMode: AuthMode;
  /** Non-editors may only change nodes they authored. */
  authorMode: boolean;
  /** Set for DynamoDB Local; absent in the cloud. */
  dynamodbEndpoint?: string;
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
  };
}

/** The variables that give handlers these table names (what the infra and the local runtime set). */
export function tableEnvironment(names: Partial<Record<TableKey, string>>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(names).map(([key, name]) => [TABLES[key as TableKey].env, name as string]),
  );
}
