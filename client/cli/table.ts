/**
 * The one description of the `damas` CLI: global options, commands, environment, exit codes and
 * examples. It drives the commander program (program.ts), `--help`, and README-cli.md (docs.ts).
 */
import { exitCodeMeanings } from '../../functions/core/errors.js';

export interface OptionSpec {
  /** Commander syntax: `-r, --recursive`, `--site <name>`. */
  flags: string;
  description: string;
  default?: string;
}

export type Group = 'CRUD commands' | 'File commands' | 'Authentication' | 'Beyond damas';

export interface CommandSpec {
  /** `create`, or `token create` for a subcommand. */
  name: string;
  /** Commander argument syntax: `<json...>`, `[url]`. */
  args: string;
  group: Group;
  summary: string;
  /** Extra paragraphs for `--help` and the README. */
  details?: string;
  options?: readonly OptionSpec[];
  examples?: readonly string[];
}

export const PROGRAM = {
  name: 'damas',
  summary:
    'Command-line client of the SyncPlanet tracker, compatible with the damas-core shell CLI. ' +
    'Results go to stdout as compact JSON, errors and notes to stderr.',
};

export const GLOBAL_OPTIONS: OptionSpec[] = [
  { flags: '-q, --quiet', description: 'print no results, notes or progress (errors still go to stderr)' },
  { flags: '-v, --verbose', description: 'print each HTTP request and its status to stderr' },
  {
    flags: '-l, --lines',
    description: 'print one array item per line as JSON (the ids of a search_mongo answer)',
  },
  {
    flags: '-s, --server <url>',
    description: 'tracker URL: http://host:port, host:port or http://host:port/api/ (overrides DAMAS_SERVER)',
  },
];

const JSON_ARG =
  'JSON is the remaining arguments joined by spaces; `-` reads it from stdin (JSON, or JSON lines as `-l` prints).';
const FILES_ARG =
  'Paths are relative to the current directory and map to ids from the repository root (`/a/b.txt`, `/a/dir/` for a directory); `-` reads paths from stdin, one per line.';

export const COMMANDS = [
  {
    name: 'create',
    args: '<json...>',
    group: 'CRUD commands',
    summary: 'create node(s): an object, or an array of objects',
    details: JSON_ARG,
    examples: [`damas create '{"_id":"/notes/a","comment":"created with the cli"}'`],
  },
  {
    name: 'read',
    args: '<json...>',
    group: 'CRUD commands',
    summary: 'read node(s) by id: "id" or ["id1","id2"]',
    details: JSON_ARG,
    examples: [`damas read '["/a","/b"]'`, `damas -l search '*' | damas read -`],
  },
  {
    name: 'update',
    args: '<json...>',
    group: 'CRUD commands',
    summary: 'set keys of existing node(s); a null value removes the key',
    details: JSON_ARG,
    examples: [`damas update '{"_id":"/a","status":"approved"}'`],
  },
  {
    name: 'upsert',
    args: '<json...>',
    group: 'CRUD commands',
    summary: 'create or update node(s)',
    details: JSON_ARG,
  },
  {
    name: 'delete',
    args: '<json...>',
    group: 'CRUD commands',
    summary: 'delete node(s) by id: "id" or ["id1","id2"]',
    details: JSON_ARG,
  },
  {
    name: 'search',
    args: '<query...>',
    group: 'CRUD commands',
    summary: 'ids matching a damas query: key:value key:/regex/i key>n …, ANDed; * matches all',
    details: 'The arguments are joined by spaces, so quoting the whole query is optional (quote `*`).',
    examples: [`damas search '_id:/.*mov/'`, `damas -l search 'origin:paris file_size>1000'`],
  },
  {
    name: 'search_mongo',
    args: '<query> [sort] [limit] [skip]',
    group: 'CRUD commands',
    summary: 'ids matching a MongoDB filter, sorted and paged: {"count":n,"ids":[…]}',
    details: 'query and sort are JSON objects (sort defaults to {}); limit and skip default to 0 (no limit).',
    examples: [`damas -l search_mongo '{"deleted":true}' '{"_id":1}' 0 0`],
  },
  {
    name: 'graph',
    args: '<json...>',
    group: 'CRUD commands',
    summary: 'the node(s), the sources of edges pointing at them, then the edges',
    details: JSON_ARG,
    options: [{ flags: '--depth <n>', description: 'levels of edges to follow (0 = all)', default: '0' }],
  },
  {
    name: 'init',
    args: '[url]',
    group: 'File commands',
    summary: 'make the current directory (or DAMAS_DIR) a repository: .damas/config with the server URL',
    details:
      'The URL comes from the argument, -s or DAMAS_SERVER, else a prompt on a terminal, else http://localhost:8090. ' +
      'The file reads URL="http://host:port/api/", as damas.sh writes it, so both tools work in the repository.',
    options: [{ flags: '--site <name>', description: 'site (origin) of the files added from here' }],
    examples: ['damas init http://tracker:8090 --site paris'],
  },
  {
    name: 'add',
    args: '<files...>',
    group: 'File commands',
    summary: 'publish files with their size and mtime (already tracked files are left as they are)',
    details:
      `${FILES_ARG} A directory is one folder package (\`/dir/\`) unless -r is given. ` +
      'Ids are read 500 per request to find the new files, which are then published 250 per request, with ' +
      'a progress bar on a terminal. Re-running only reads: files already tracked are counted in a note ' +
      '(with those whose size or mtime differ) and the exit code stays 0. stdout lists the nodes created.',
    options: [
      { flags: '-r, --recursive', description: 'publish every file under the directories, not packages' },
      {
        flags: '-m, --comment <text>',
        description: 'comment of the publication',
        default: 'added with damas',
      },
      {
        flags: '--origin <site>',
        description:
          'site the files come from (default: SITE in .damas/config, DAMAS_SITE, or the host name)',
      },
    ],
    examples: ['damas add -r shots/', 'find . -name "*.exr" | damas add -'],
  },
  {
    name: 'show',
    args: '<files...>',
    group: 'File commands',
    summary: 'read the nodes of files',
    details: FILES_ARG,
    examples: ['damas show *'],
  },
  {
    name: 'rm',
    args: '<files...>',
    group: 'File commands',
    summary: 'remove files from the tracker (not from disk)',
    details: FILES_ARG,
  },
  {
    name: 'lock',
    args: '<files...>',
    group: 'File commands',
    summary: 'lock files (key lock = your user name)',
    details: FILES_ARG,
  },
  {
    name: 'unlock',
    args: '<files...>',
    group: 'File commands',
    summary: 'unlock files you locked',
    details: FILES_ARG,
  },
  {
    name: 'stats',
    args: '<files...>',
    group: 'File commands',
    summary: 'update file_size and file_mtime of tracked files from the disk',
    details: `${FILES_ARG} Each file gets its own size and mtime (ms); a directory's size is the sum of its files.`,
  },
  {
    name: 'status',
    args: '<path>',
    group: 'File commands',
    summary: 'per-site sync state of a file, or of every file under a folder',
    details:
      'States: current (synced_<site> >= time, or the origin), outdated (an older copy), syncing (a transfer ' +
      'is running), error (the last transfer failed), missing. Sites are those named on the files and every ' +
      'volume (GET /api/sites). A table on stdout, coloured on a terminal; exit 44 when nothing is tracked there.',
    options: [
      { flags: '--json', description: 'print {sites, files, totals} as JSON instead of a table' },
      { flags: '--limit <n>', description: 'most files listed for a folder', default: '1000' },
    ],
    examples: ['damas status shots/sh010/', 'damas status --json plate.exr'],
  },
  {
    name: 'signin',
    args: '[user] [password] [expiresIn]',
    group: 'Authentication',
    summary: 'sign in and keep the token for this server; prints the token',
    details:
      'Prompts for what is missing (the password without echo; from stdin when it is not a terminal). ' +
      'expiresIn: 1d, 2h, 30m… The token is kept in ~/.config/damas/tokens.json (XDG_CONFIG_HOME), mode 0600, per server.',
    examples: ['damas signin alice', 'damas signin alice "$PASS" 7d'],
  },
  { name: 'signout', args: '', group: 'Authentication', summary: 'forget the token kept for this server' },
  {
    name: 'token create',
    args: '[name]',
    group: 'Authentication',
    summary: 'create a long-lived API token (shown once) for agents and scripts',
    details:
      'With --site the token may only act for that site: it reads anything, publishes files whose origin is the ' +
      'site, and claims, reports results and sends heartbeats for it; every other write is refused (403).',
    options: [
      { flags: '--user <username>', description: 'for another user (admins only)' },
      { flags: '--site <name>', description: 'scope the token to one site (an agent’s token)' },
    ],
    examples: ['damas token create "agent paris"', 'damas token create "agent paris" --site paris'],
  },
  {
    name: 'token list',
    args: '',
    group: 'Authentication',
    summary: 'list API tokens (admins see everyone’s)',
  },
  { name: 'token revoke', args: '<id>', group: 'Authentication', summary: 'revoke an API token by id' },
  {
    name: 'publish',
    args: '<json...>',
    group: 'Beyond damas',
    summary: 'publish file node(s) {_id:"/path",origin,comment,…} with a history entry each',
    details: JSON_ARG,
  },
  {
    name: 'comment',
    args: '<json...>',
    group: 'Beyond damas',
    summary: 'add a comment node under node(s): {"#parent":id or [ids],"comment":text}',
    details: JSON_ARG,
    examples: [`damas comment '{"#parent":"/a","comment":"approved"}'`],
  },
  {
    name: 'watch',
    args: '[prefix]',
    group: 'Beyond damas',
    summary: 'print change events as JSON lines as they happen, until interrupted',
    details:
      'One line per event of a node whose id starts with prefix (a tracker id such as /shots/, not a local ' +
      'path): {"id","op","_id","time","node"}, node being null on delete and on events too large to send ' +
      '(marked "truncated":true). The WebSocket (path /ws of the server) is kept alive with pings and opened ' +
      'again after any cut, resuming after the last event received; no event is printed twice in one run. ' +
      'Ctrl-C or SIGTERM stops it (exit 0). --since first prints the events logged after that id (a few ' +
      'just before it may come again); an id older than the event log keeps exits 60: resynchronise, then ' +
      'watch without --since. A server unreachable at the start exits 3, a refused token 41.',
    options: [
      {
        flags: '--query <q>',
        description: 'only nodes matching this damas query (a delete matches on the node before it)',
      },
      { flags: '--ops <list>', description: 'only these operations, comma-separated: create,update,delete' },
      { flags: '--since <id>', description: 'first print the events logged after this event id' },
    ],
    examples: [
      'damas watch /shots/ --ops create,update',
      'damas watch /shots/ --since "$(tail -n1 events.jsonl | jq -r .id)" >> events.jsonl',
    ],
  },
  {
    name: 'sites',
    args: '',
    group: 'Beyond damas',
    summary: 'one line per site (volume): agent on/off, last heartbeat, backlog, errors',
    details:
      'An agent is off when it sent no heartbeat for 3 of its intervals (heartbeatInterval, default 60 s). ' +
      'Backlog is the files the site waits for and their size; errors counts failed files by rsync exit code ' +
      '(23×2: two files failed with code 23). Both show - when the tracker has no work queues.',
    options: [{ flags: '--json', description: 'print the sites as JSON (GET /api/sites)' }],
    examples: ['damas sites', 'damas sites --json | jq \'.[] | select(.agentStatus == "off") | .name\''],
  },
  {
    name: 'queue',
    args: '<site>',
    group: 'Beyond damas',
    summary: 'the next files a site will receive, in order (nothing is claimed)',
    details:
      'Order: higher sync_priority first, then older time. State: pending, waiting (a failed copy waits for ' +
      'its retry; its rsync exit code is shown) or leased (a transfer is running).',
    options: [
      { flags: '--limit <n>', description: 'how many (1-1000)', default: '20' },
      { flags: '--json', description: 'print the pairs as JSON' },
    ],
    examples: ['damas queue paris', 'damas queue paris --limit 100 --json'],
  },
] as const satisfies readonly CommandSpec[];

export type CommandName = (typeof COMMANDS)[number]['name'];

export const ENVIRONMENT: [string, string][] = [
  ['DAMAS_SERVER', 'tracker URL when -s is not given (else the repository URL, else http://localhost:8090)'],
  ['DAMAS_TOKEN', 'bearer token to use; wins over the token kept by signin'],
  ['DAMAS_DIR', 'repository root for the file commands (else the nearest parent with .damas/)'],
  [
    'DAMAS_EVENTS_URL',
    'WebSocket URL for watch when not /ws on the server (the cloud stack output WebSocketUrl)',
  ],
  ['DAMAS_SITE', 'site (origin) of added files when .damas/config has no SITE'],
  ['XDG_CONFIG_HOME', 'where damas/tokens.json is kept (default ~/.config)'],
];

/** Exit codes of the damas man page, from the error table (functions/core/errors.ts). */
export const EXIT_CODES = exitCodeMeanings();
