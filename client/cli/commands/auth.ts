/** signin, signout and API tokens. */
import type { CliContext, Handler, Outcome } from '../context.js';
import { UsageError } from '../failures.js';
import { prompter } from '../input.js';

/** Signs in, keeps the token for this server and prints it (as damas.sh does). */
async function signin(ctx: CliContext, args: string[]): Promise<Outcome> {
  const ask = prompter(ctx.io);
  const username = args[0] ?? (await ask('login: '));
  const password = args[1] ?? (await ask('password: ', true));
  if (username === '' || password === '') throw new UsageError('a user name and a password are needed');
  const reply = await ctx.client().signIn(username, password, args[2]);
  const { token } = reply.body;
  ctx.tokens().set(ctx.server(), { token, username, savedAt: Date.now() });
  return { status: reply.status, text: `${token}\n` };
}

async function signout(ctx: CliContext): Promise<Outcome> {
  const server = ctx.server();
  if (!ctx.tokens().delete(server)) ctx.note(`no token was kept for ${server}`);
  if (ctx.io.env.DAMAS_TOKEN) ctx.note('DAMAS_TOKEN is still set and is still sent');
  return { status: 200 };
}

export const AUTH_HANDLERS = {
  signin,
  signout,
  'token create': async (ctx, args, options) =>
    ctx
      .client()
      .createToken(args[0] ?? '', options.user as string | undefined, options.site as string | undefined),
  'token list': async (ctx) => ctx.client().listTokens(),
  'token revoke': async (ctx, args) => ctx.client().revokeToken(args[0]!),
} satisfies Record<string, Handler>;
