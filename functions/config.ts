/** Configuration, read once from the environment variables the infra (or the local runtime) sets. */
import type { AuthMode } from './auth/authenticator.js';
import { ENV } from './store/schema.js';

export interface TrackerConfig {
  nodesTable: string;
  authTable: string;
  authMode: AuthMode;
  /** Non-editors may only change nodes they authored. */
  authorMode: boolean;
  /** Set for DynamoDB Local; absent in the cloud. */
  dynamodbEndpoint?: string;
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`missing required environment variable ${name}`);
  return value;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): TrackerConfig {
  const authMode = env[ENV.authMode] ?? 'jwt';
  if (authMode !== 'open' && authMode !== 'jwt') {
    throw new Error(`${ENV.authMode} must be 'open' or 'jwt', not '${authMode}'`);
  }
  return {
    nodesTable: required(env, ENV.nodesTable),
    authTable: required(env, ENV.authTable),
    authMode,
    authorMode: env[ENV.authorMode] === 'true',
    dynamodbEndpoint: env[ENV.dynamodbEndpoint] || undefined,
  };
}
