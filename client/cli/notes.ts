/** Prose sections of README-cli.md (docs.ts) that complete the table. */

export const NOTES: [string, string][] = [
  [
    'Output',
    'Results are printed as compact JSON on stdout, as damas-core answers them; with `-l`, one array item per ' +
      'line (JSON lines), which `damas read -` accepts back. Errors are one line on stderr, e.g. ' +
      '`damas: Read error: /a does not exist (404)`. A 207 answer prints the array (null where an element ' +
      'failed), notes it on stderr and exits 7. Bulk file commands send 500 ids per request and merge the answers, ' +
      'so a large `show` or `rm` behaves like one damas request.',
  ],
  [
    'Repositories and ids',
    'File commands work in a repository: the folder holding `.damas/` (from `DAMAS_DIR`, else the nearest ' +
      'parent of the current directory). `.damas/config` uses damas.sh\'s format, `URL="http://host:8090/api/"`, ' +
      'plus an optional `SITE="paris"`. A path maps to its id from the repository root: `shots/a.exr` → ' +
      '`/shots/a.exr`, a directory → `/shots/` (a folder package). Paths outside the repository are refused.',
  ],
  [
    'Tokens',
    '`signin` keeps the token in `$XDG_CONFIG_HOME/damas/tokens.json` (default `~/.config/damas/tokens.json`), ' +
      'one entry per server URL, readable by you only (0600). `signout` removes the entry. `DAMAS_TOKEN` wins ' +
      'over the kept token. For agents and scripts, `damas token create` issues a long-lived API token.',
  ],
  [
    'Coming from damas.sh',
    'The commands, options, environment variables and exit codes are the same. Differences: `add` publishes ' +
      '(with `origin`, `comment`, `file_size`, `file_mtime`) and treats files already tracked as success; `stats` ' +
      'gives each file its own size and mtime; the token lives in ~/.config instead of /tmp; JSON arguments ' +
      'are checked before anything is sent; stdin is read only for `-`.',
  ],
];
