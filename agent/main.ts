/**
 * `syncplanet agent …`: the site agent; `syncplanet health`: the container's health check. Every
 * flag has an environment variable (shown by --help); logs are JSON lines on stdout.
 */
import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { pino } from 'pino';
import { SITE_NAME } from '../functions/core/sync.js';
import { AGENT_VERSION, healthFile, runAgent } from './agent.js';
import type { AgentOptions } from './context.js';
import { PRIVATE_DIR } from './paths.js';
import { parseVolumeUrl } from './rsync.js';

const number = (min: number, max: number) => (text: string) => {
  const value = Number(text);
  if (!Number.isFinite(value) || value < min || value > max)
    throw new InvalidArgumentError(`must be a number from ${min} to ${max}`);
  return value;
};
const siteName = (text: string) => {
  if (!SITE_NAME.test(text))
    throw new InvalidArgumentError('must be 1-64 letters, digits, dashes or underscores');
  return text;
};
const volumeUrl = (text: string) => {
  try {
    parseVolumeUrl(text);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
  return text;
};
const env = (option: Option, name: string) => option.env(`SYNCPLANET_${name}`);
const defaultStateDir = (root: string) => join(root, PRIVATE_DIR, 'state');

export function program(): Command {
  const cli = new Command('syncplanet')
    .description('SyncPlanet site agent')
    .version(AGENT_VERSION)
    .showHelpAfterError();
  cli
    .command('agent')
    .description('scan a volume, publish its files and copy the files other sites have, with rsync over ssh')
    .addOption(
      env(
        new Option(
          '--tracker <url>',
          'tracker URL (http://host:port or https://…/api/)',
        ).makeOptionMandatory(),
        'TRACKER',
      ),
    )
    .addOption(
      env(
        new Option('--token <token>', 'API token scoped to this site (jwt mode); none in open mode'),
        'TOKEN',
      ),
    )
    .addOption(
      env(
        new Option(
          '--events-url <url>',
          'change events WebSocket URL when not /ws on the tracker (cloud: WebSocketUrl)',
        ),
        'EVENTS_URL',
      ),
    )
    .addOption(
      env(
        new Option('--site <name>', "site name (the volume node's name)")
          .argParser(siteName)
          .makeOptionMandatory(),
        'SITE',
      ),
    )
    .addOption(
      env(
        new Option(
          '--root <dir>',
          'volume root: the agent reads and writes only under it',
        ).makeOptionMandatory(),
        'ROOT',
      ),
    )
    .addOption(
      env(
        new Option(
          '--url <url>',
          'how other sites reach this volume: ssh://user@host:port/path/ (registered on the volume)',
        ).argParser(volumeUrl),
        'URL',
      ),
    )
    .addOption(env(new Option('--ssh-key <file>', 'private key for ssh to other sites'), 'SSH_KEY'))
    .addOption(
      env(
        new Option(
          '--state-dir <dir>',
          `index, result journal, pinned host keys (default <root>/${PRIVATE_DIR}/state)`,
        ),
        'STATE_DIR',
      ),
    )
    // Not .env(): commander would turn any value on, even SYNCPLANET_ONCE=0 (read in agentCommand).
    .addOption(
      new Option(
        '--once',
        'one scan and one transfer round, then exit (non-zero if a transfer failed) (env: SYNCPLANET_ONCE=1|true)',
      ),
    )
    .addOption(
      env(
        new Option('--log-level <level>', 'log level')
          .choices(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'])
          .default('info'),
        'LOG_LEVEL',
      ),
    )
    .addOption(
      env(
        new Option(
          '--missing-threshold <share>',
          'hold a scan that would mark more than this share of the volume missing',
        )
          .argParser(number(0, 1))
          .default(0.5),
        'MISSING_THRESHOLD',
      ),
    )
    .addOption(
      env(
        new Option('--poll-interval <s>', 'seconds between claim polls when no change event arrives')
          .argParser(number(0.1, 3600))
          .default(30),
        'POLL_INTERVAL',
      ),
    )
    .addOption(
      env(
        new Option(
          '--lease <s>',
          "seconds a claim holds its files (a crashed agent's claims expire after this)",
        )
          .argParser(number(10, 86_400))
          .default(900),
        'LEASE',
      ),
    )
    .action(async (flags: Record<string, unknown>) => {
      process.exitCode = await agentCommand(flags);
    });
  cli
    .command('health')
    .description('exit 0 when the agent recorded a sign of life in the last 90 s (the container HEALTHCHECK)')
    .addOption(env(new Option('--root <dir>', 'volume root'), 'ROOT'))
    .addOption(env(new Option('--state-dir <dir>', 'state dir'), 'STATE_DIR'))
    .action(async (flags: { root?: string; stateDir?: string }) => {
      const dir = flags.stateDir ?? (flags.root ? defaultStateDir(flags.root) : undefined);
      if (!dir) throw new InvalidArgumentError('give --root or --state-dir');
      const { time } = JSON.parse(await readFile(healthFile(dir), 'utf8').catch(() => '{"time":0}')) as {
        time: number;
      };
      const age = (Date.now() - time) / 1000;
      console.log(age < 90 ? `healthy (${age.toFixed(0)} s ago)` : 'unhealthy: no sign of life for 90 s');
      process.exitCode = age < 90 ? 0 : 1;
    });
  return cli;
}

async function agentCommand(flags: Record<string, unknown>): Promise<number> {
  const root = resolve(String(flags.root));
  if (!(await stat(root).catch(() => null))?.isDirectory()) {
    console.error(`syncplanet: --root ${root} is not a folder (is the volume mounted?)`);
    return 1;
  }
  const options: AgentOptions = {
    tracker: String(flags.tracker),
    token: flags.token as string | undefined,
    eventsUrl: flags.eventsUrl as string | undefined,
    site: String(flags.site),
    root,
    url: flags.url as string | undefined,
    sshKey: flags.sshKey ? resolve(String(flags.sshKey)) : undefined,
    stateDir: resolve(String(flags.stateDir ?? defaultStateDir(root))),
    once: flags.once === true || /^(1|true|yes)$/i.test(process.env.SYNCPLANET_ONCE ?? ''),
    logLevel: String(flags.logLevel),
    missingThreshold: Number(flags.missingThreshold),
    pollInterval: Number(flags.pollInterval),
    lease: Math.round(Number(flags.lease)),
  };
  const log = pino({
    level: options.logLevel,
    base: { site: options.site },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: ['token'],
  });
  const stop = new AbortController();
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => stop.abort());
  log.info({ root, stateDir: options.stateDir, version: AGENT_VERSION }, 'agent starting');
  const summary = await runAgent(options, log, stop.signal);
  if (options.once || stop.signal.aborted) log.info({ summary: true, ...summary }, 'summary');
  return summary.errors > 0 && options.once ? 1 : 0;
}

export async function main(argv = process.argv): Promise<void> {
  await program().parseAsync(argv);
}
