/**
 * `npm run admin -- …`: create users (the first admin of a jwt-mode tracker), change passwords,
 * and manage API tokens, talking to the tracker's tables directly.
 *
 * Where the tables are: `--endpoint URL` or DYNAMODB_ENDPOINT (DynamoDB Local, printed by
 * `npm start`), otherwise real AWS with the usual credentials; table names from NODES_TABLE /
 * AUTH_TABLE (the stack outputs) or `--table-prefix` (default "tracker", as the local runtime).
 */
import { Command, Option } from 'commander';
import { prompter } from '../client/cli/input.js';
import { loadConfig, SETTINGS_ENV } from '../functions/config.js';
import { exitCodeOf, TrackerError } from '../functions/core/errors.js';
import {
  addUser,
  changePassword,
  createToken,
  listTokens,
  revokeToken,
} from '../functions/core/ops/accounts.js';
import type { PublicTokenRecord } from '../functions/core/ports.js';
import { USER_CLASSES } from '../functions/core/permissions.js';
import { createTracker, type Tracker } from '../functions/tracker.js';
import { API_TABLES } from '../functions/store/schema.js';
import { localEnvironment } from './runtime.js';

/** Local table names and endpoint unless the environment names others; always jwt (users and tokens). */
function connect(options: { endpoint?: string; tablePrefix: string }): Tracker {
  const env = {
    ...localEnvironment(undefined, { tablePrefix: options.tablePrefix, auth: 'jwt' }),
    ...process.env,
    [SETTINGS_ENV.authMode]: 'jwt',
    ...(options.endpoint ? { [SETTINGS_ENV.dynamodbEndpoint]: options.endpoint } : {}),
  };
  return createTracker(loadConfig(API_TABLES, env));
}

/** Reads a password: a prompt without echo on a terminal (the CLI's), else the first line of stdin. */
async function readPassword(question: string): Promise<string> {
  const password = await prompter({ stdin: process.stdin, stderr: process.stderr })(question, true);
  if (!password) throw new TrackerError('usage', 'no password given');
  return password;
}

const program = new Command('admin')
  .description('Administer a SyncPlanet tracker: users and API tokens')
  .option('--endpoint <url>', 'DynamoDB endpoint (DynamoDB Local); default $DYNAMODB_ENDPOINT or AWS')
  .option('--table-prefix <prefix>', 'local table name prefix', 'tracker');

const user = program.command('user').description('manage users');
user
  .command('add <username>')
  .description('create a user; the password is read from stdin or prompted for')
  .addOption(new Option('--class <class>', 'user class').choices(USER_CLASSES).default('user'))
  .option('--fullname <name>')
  .option('--email <address>')
  .action(
    async (
      username: string,
      o: { class: (typeof USER_CLASSES)[number]; fullname?: string; email?: string },
    ) => {
      const tracker = connect(program.opts());
      const password = await readPassword(`password for ${username}: `);
      await addUser(tracker.store, tracker.auth, {
        username,
        userClass: o.class,
        password,
        fullname: o.fullname,
        email: o.email,
      });
      console.log(`created @${username} (${o.class})`);
    },
  );
user
  .command('passwd <username>')
  .description('change a password (revokes the user’s session tokens)')
  .action(async (username: string) => {
    const tracker = connect(program.opts());
    await changePassword(
      tracker.store,
      tracker.auth,
      username,
      await readPassword(`new password for ${username}: `),
    );
    console.log(`password of @${username} changed`);
  });

const token = program.command('token').description('manage API tokens (for agents and integrations)');
token
  .command('create <username>')
  .description('create an API token; it is printed once and stored only as a hash')
  .option('--name <name>', 'what the token is for', '')
  .option('--site <site>', 'scope it to one site: read, and publish, claim, report and heartbeat for it only')
  .action(async (username: string, o: { name: string; site?: string }) => {
    const created = await createToken(connect(program.opts()).adminContext(), {
      username,
      name: o.name,
      ...(o.site === undefined ? {} : { site: o.site }),
    });
    const { id, token: secret } = created.body as PublicTokenRecord & { token: string };
    console.error(`token ${id} for @${username}${o.site ? ` at site ${o.site}` : ''} (shown once):`);
    console.log(secret);
  });
token
  .command('list [username]')
  .description('list API tokens (never their secrets)')
  .action(async (username?: string) => {
    const listed = await listTokens(connect(program.opts()).adminContext(), username);
    for (const t of listed.body as PublicTokenRecord[]) {
      const site = t.site ? `  site:${t.site}` : '';
      console.log(`${t.id}  @${t.username}  ${new Date(t.createdAt).toISOString()}${site}  ${t.name}`);
    }
  });
token
  .command('revoke <id>')
  .description('revoke an API token')
  .action(async (id: string) => {
    await revokeToken(connect(program.opts()).adminContext(), id);
    console.log(`revoked ${id}`);
  });

/** The operator sees the whole reason, including what caused a database failure. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.cause instanceof Error ? `${error.message} (${error.cause.message})` : error.message;
}

program.parseAsync().catch((error: unknown) => {
  console.error(`admin: ${describe(error)}`);
  process.exit(exitCodeOf(error));
});
