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
import { addUser, changePassword } from '../functions/auth/users.js';
import { TrackerError } from '../functions/core/errors.js';
import { USER_CLASSES } from '../functions/core/permissions.js';
import { createTracker, type Tracker } from '../functions/tracker.js';
import { tableNames } from './tables.js';

function connect(options: { endpoint?: string; tablePrefix: string }): Tracker {
  const local = tableNames(options.tablePrefix);
  return createTracker({
    nodesTable: process.env.NODES_TABLE ?? local.nodesTable,
    authTable: process.env.AUTH_TABLE ?? local.authTable,
    authMode: 'jwt',
    authorMode: false,
    dynamodbEndpoint: options.endpoint ?? process.env.DYNAMODB_ENDPOINT,
  });
}

/** Reads a password: a prompt without echo on a terminal (the CLI's), else the first line of stdin. */
async function readPassword(question: string): Promise<string> {
  const password = await prompter({ stdin: process.stdin, stderr: process.stderr })(question, true);
  if (!password) throw new Error('no password given');
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
  .action(async (username: string, o: { name: string }) => {
    const tracker = connect(program.opts());
    if (!(await tracker.store.get(`@${username}`))) throw new Error(`user ${username} does not exist`);
    const { token: secret, record } = await tracker.auth.createApiToken(username, o.name);
    console.error(`token ${record.id} for @${username} (shown once):`);
    console.log(secret);
  });
token
  .command('list [username]')
  .description('list API tokens (never their secrets)')
  .action(async (username?: string) => {
    const tracker = connect(program.opts());
    for (const t of await tracker.auth.listApiTokens(username)) {
      console.log(`${t.id}  @${t.username}  ${new Date(t.createdAt).toISOString()}  ${t.name}`);
    }
  });
token
  .command('revoke <id>')
  .description('revoke an API token')
  .action(async (id: string) => {
    const tracker = connect(program.opts());
    if (!(await tracker.auth.revokeApiToken(id))) throw new Error(`token ${id} does not exist`);
    console.log(`revoked ${id}`);
  });

program.parseAsync().catch((error: unknown) => {
  const message = error instanceof TrackerError || error instanceof Error ? error.message : String(error);
  console.error(`admin: ${message}`);
  process.exit(1);
});
