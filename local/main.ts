/**
 * `npm start`: runs the tracker on this machine. Flags have environment equivalents:
 *   --port N (PORT, default 8090)   --host H (HOST, default 127.0.0.1)
 *   --auth open|jwt (AUTH_MODE; open by default on loopback, refused elsewhere)
 *   --data DIR (TRACKER_DATA, default ./.tracker) or --in-memory   --author-mode (AUTHOR_MODE=true)
 */
import { parseArgs } from 'node:util';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { SETTINGS_ENV } from '../functions/config.js';
import { startLocalTracker } from './runtime.js';

/** The event and webhook settings given in the environment (EVENT_RETENTION, WEBHOOK_RETRIES…). */
function eventSettingsFromEnvironment(): Record<string, string> {
  const names = [
    'eventRetention',
    'replayGrace',
    'webhookRetries',
    'webhookTimeout',
    'webhookAllow',
  ] as const;
  return Object.fromEntries(
    names.flatMap((key) => {
      const value = process.env[SETTINGS_ENV[key]];
      return value ? [[SETTINGS_ENV[key], value]] : [];
    }),
  );
}

const USAGE = `usage: npm start -- [--port N] [--host H] [--auth open|jwt] [--data DIR | --in-memory] [--author-mode]`;

function options() {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      auth: { type: 'string' },
      data: { type: 'string' },
      'in-memory': { type: 'boolean' },
      'author-mode': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const port = Number(values.port ?? process.env.PORT ?? 8090);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new Error(`--port must be 1-65535, not ${values.port ?? process.env.PORT}`);
  const auth = values.auth ?? process.env.AUTH_MODE;
  if (auth !== undefined && auth !== 'open' && auth !== 'jwt')
    throw new Error(`--auth must be open or jwt, not ${auth}`);
  if (values['in-memory'] && values.data) throw new Error('--data and --in-memory are exclusive');
  const dataDir = values['in-memory']
    ? undefined
    : resolve(values.data ?? process.env.TRACKER_DATA ?? '.tracker');
  return {
    port,
    host: values.host ?? process.env.HOST ?? '127.0.0.1',
    auth,
    dataDir,
    authorMode: values['author-mode'] ?? process.env.AUTHOR_MODE === 'true',
    settings: eventSettingsFromEnvironment(),
  } as const;
}

async function main(): Promise<void> {
  let opts;
  try {
    opts = options();
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    process.exit(1);
  }
  if (opts.dataDir) mkdirSync(opts.dataDir, { recursive: true });
  const local = await startLocalTracker(opts);
  const mode = local.tracker.auth.mode;
  console.log(`SyncPlanet tracker ready: ${local.apiUrl}`);
  console.log(`  change events: ${local.url.replace(/^http/, 'ws')}/ws`);
  console.log(`  auth: ${mode}${mode === 'open' ? ' (every caller is admin; loopback only)' : ''}`);
  console.log(
    `  data: ${opts.dataDir ?? 'in memory (lost on exit)'}   DynamoDB Local: ${local.dynamodbEndpoint}`,
  );
  if (mode === 'jwt') {
    console.log(
      `  first admin: DYNAMODB_ENDPOINT=${local.dynamodbEndpoint} npm run admin -- user add <name> --class admin`,
    );
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping`);
    local.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(`tracker: ${(error as Error).message ?? error}`);
  process.exit(1);
});
