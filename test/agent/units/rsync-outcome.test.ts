/**
 * What one rsync did to each requested path, read from its output (rsync 3.5 with
 * `--out-format=%b %n --stats`), and the command line the agent builds for it.
 */
import { describe, expect, it } from 'vitest';
import {
  parseVolumeUrl,
  readOutcome,
  rsyncArgs,
  sshCommand,
  MAX_CONTROL_DIR,
  type Remote,
  type RsyncJob,
} from '../../../agent/rsync.js';

const remote: Remote = { user: 'sync', host: 'site-a.example', port: 22, path: '/abs/src/' };
const STAGING = '/srv/b/.syncplanet/incoming';
const job = (paths: string[], direction: 'pull' | 'push' = 'pull', extraArgs: string[] = []): RsyncJob => ({
  remote,
  direction,
  local: direction === 'pull' ? STAGING : '/srv/b',
  paths,
  extraArgs,
  ssh: { knownHosts: '/srv/b/.syncplanet/known_hosts' },
});

const stats = (sent: string, received: string) =>
  [
    '',
    'Number of files: 8 (reg: 6, dir: 2)',
    'Number of created files: 8 (reg: 6, dir: 2)',
    'Number of deleted files: 0',
    'Number of regular files transferred: 6',
    'Total file size: 13,312 bytes',
    'Total transferred file size: 13,312 bytes',
    'Literal data: 13,312 bytes',
    'Matched data: 0 bytes',
    'File list size: 0',
    'File list generation time: 0.001 seconds',
    'File list transfer time: 0.000 seconds',
    `Total bytes sent: ${sent}`,
    `Total bytes received: ${received}`,
    '',
    `sent ${sent} bytes  received ${received} bytes  1,256.00 bytes/sec`,
    'total size is 13,312  speedup is 0.02',
    '',
  ].join('\n');

const MISSING = 'rsync: [sender] link_stat "/abs/src/missing.txt" failed: No such file or directory (2)';
const CODE_23 =
  'rsync error: some files/attrs were not transferred (see previous errors) (code 23) at main.c(1956) [generator=3.5.0]';
const CODE_24 =
  'rsync warning: some files vanished before they could be transferred (code 24) at main.c(1952) [generator=3.5.0]';

describe('readOutcome', () => {
  it('names every file rsync completed as transferred and reads the byte counts', () => {
    const stdout = ['1024 shots/a.exr', '2048 shots/b c.exr', '0 pkg/', '512 pkg/one', ''].join('\n');
    const outcome = readOutcome(
      job(['shots/a.exr', 'shots/b c.exr', 'pkg']),
      0,
      stdout + stats('486', '1,234'),
      '',
    );
    expect(outcome.exitCode).toBe(0);
    expect([...outcome.transferred].sort()).toEqual(['pkg', 'shots/a.exr', 'shots/b c.exr']);
    expect(outcome.failed.size).toBe(0);
    expect(outcome.bytesSent).toBe(486);
    expect(outcome.bytesReceived).toBe(1234);
    expect(outcome.stderr).toBe('');
  });

  it('parses large byte counts with thousands separators', () => {
    const outcome = readOutcome(job(['a']), 0, `10 a\n${stats('1,234,567', '98,765,432,100')}`, '');
    expect(outcome.bytesSent).toBe(1_234_567);
    expect(outcome.bytesReceived).toBe(98_765_432_100);
  });

  it('answers zero bytes when rsync printed no stats (killed)', () => {
    const outcome = readOutcome(job(['a']), 20, '10 a\n', '');
    expect(outcome.bytesSent).toBe(0);
    expect(outcome.bytesReceived).toBe(0);
  });

  it('does not transfer a requested path rsync did not name', () => {
    const outcome = readOutcome(job(['a.txt', 'b.txt']), 0, `46 a.txt\n${stats('1', '2')}`, '');
    expect([...outcome.transferred]).toEqual(['a.txt']);
    expect(outcome.failed.size).toBe(0);
  });

  it('gives a file missing at the source code 23 and the others transferred', () => {
    const stdout = ['1024 shots/a.exr', '46 b.txt', ''].join('\n') + stats('486', '1,234');
    const stderr = `${MISSING}\n${CODE_23}\n`;
    const outcome = readOutcome(job(['shots/a.exr', 'missing.txt', 'b.txt']), 23, stdout, stderr);
    expect([...outcome.transferred].sort()).toEqual(['b.txt', 'shots/a.exr']);
    expect([...outcome.failed.keys()]).toEqual(['missing.txt']);
    expect(outcome.failed.get('missing.txt')).toEqual({ code: 23, message: MISSING });
    expect(outcome.stderr).toBe(`${MISSING}\n${CODE_23}`);
  });

  it('gives a file that vanished during the transfer code 24', () => {
    const vanished = 'file has vanished: "/abs/src/z"';
    const outcome = readOutcome(
      job(['y', 'z']),
      24,
      `10 y\n${stats('10', '20')}`,
      `${vanished}\n${CODE_24}\n`,
    );
    expect(outcome.failed.get('z')).toEqual({ code: 24, message: vanished });
    expect([...outcome.transferred]).toEqual(['y']);
  });

  it('gives other per-file errors the exit code, or 23 when rsync exited 0', () => {
    const io = 'rsync: [sender] read errors mapping "/abs/src/a.txt": Input/output error (5)';
    expect(readOutcome(job(['a.txt']), 23, '', `${io}\n${CODE_23}`).failed.get('a.txt')?.code).toBe(23);
    expect(readOutcome(job(['a.txt']), 11, '', io).failed.get('a.txt')?.code).toBe(11);
    expect(readOutcome(job(['a.txt']), 0, '', io).failed.get('a.txt')?.code).toBe(23);
  });

  it('lets a package own the failures of the files under it, and keeps its first failure', () => {
    const stdout = ['0 pkg/', '45 pkg/one', '0 pkg/sub/', '45 pkg/sub/two', '46 a.txt', ''].join('\n');
    const first = 'rsync: [sender] link_stat "/abs/src/pkg/nothere" failed: No such file or directory (2)';
    const second = 'rsync: [sender] link_stat "/abs/src/pkg/sub/gone" failed: No such file or directory (2)';
    const outcome = readOutcome(
      job(['pkg/', 'a.txt', 'pkg2/']),
      23,
      stdout + stats('1', '2'),
      `${first}\n${second}\n${CODE_23}\n`,
    );
    expect([...outcome.failed.keys()]).toEqual(['pkg/']);
    expect(outcome.failed.get('pkg/')).toEqual({ code: 23, message: first });
    expect([...outcome.transferred]).toEqual(['a.txt']);
  });

  it('does not let a path own a failure of a sibling that merely shares its prefix', () => {
    const line = 'rsync: [sender] link_stat "/abs/src/pkg2/x" failed: No such file or directory (2)';
    const outcome = readOutcome(job(['pkg/', 'pkg2/']), 23, '0 pkg/\n0 pkg2/\n', `${line}\n${CODE_23}`);
    expect([...outcome.failed.keys()]).toEqual(['pkg2/']);
    expect([...outcome.transferred]).toEqual(['pkg/']);
  });

  it('ignores stderr lines naming no requested path', () => {
    const outcome = readOutcome(
      job(['a.txt']),
      23,
      '46 a.txt\n',
      [
        'rsync: [sender] link_stat "/abs/src/other.txt" failed: No such file or directory (2)',
        'rsync: connection unexpectedly closed (0 bytes received so far) [sender]',
        CODE_23,
      ].join('\n'),
    );
    expect(outcome.failed.size).toBe(0);
    expect([...outcome.transferred]).toEqual(['a.txt']);
  });

  it('keeps only the last 5 lines of stderr', () => {
    const lines = Array.from({ length: 8 }, (_, i) => `line ${i}`);
    expect(readOutcome(job([]), 12, '', `${lines.join('\n')}\n`).stderr).toBe(lines.slice(3).join('\n'));
  });

  it('unescapes names rsync wrote as \\#ooo', () => {
    const stdout = [
      '45 new\\#012line.txt',
      '45 tab\\#011bed.txt',
      '45 back\\#134#012slash', // the name `back\#012slash`: rsync escapes the backslash
      '45 12 monkeys.exr', // a name starting with digits and a space
      '',
    ].join('\n');
    const paths = ['new\nline.txt', 'tab\tbed.txt', 'back\\#012slash', '12 monkeys.exr'];
    const outcome = readOutcome(job(paths), 0, stdout + stats('1', '2'), '');
    expect([...outcome.transferred].sort()).toEqual([...paths].sort());
  });

  it('reads no names after the stats', () => {
    const outcome = readOutcome(job(['a.txt', 'b.txt']), 0, `46 a.txt\n${stats('1', '2')}0 b.txt\n`, '');
    expect([...outcome.transferred]).toEqual(['a.txt']);
  });

  it('reads failures of a push against the local root', () => {
    const line = 'rsync: [sender] link_stat "/srv/b/shots/gone.exr" failed: No such file or directory (2)';
    const outcome = readOutcome(
      job(['shots/gone.exr', 'shots/here.exr'], 'push'),
      23,
      `100 shots/here.exr\n${stats('1', '2')}`,
      `${line}\n${CODE_23}`,
    );
    expect(outcome.failed.get('shots/gone.exr')).toEqual({ code: 23, message: line });
    expect([...outcome.transferred]).toEqual(['shots/here.exr']);
  });

  // rsync in the C locale (the agent's container sets no LANG) escapes each byte of a UTF-8 name:
  // `rsync -s --from0 --files-from=- '--out-format=%b %n'` prints `45 \#303\#251t\#303\#251.exr`
  // for `été.exr`. The bytes must be decoded together as UTF-8, not one char code per byte.
  it('decodes escaped UTF-8 bytes in names as one character', () => {
    const stdout = '45 \\#303\\#251t\\#303\\#251.exr\n45 shots/\\#346\\#227\\#245.exr\n';
    const outcome = readOutcome(job(['été.exr', 'shots/日.exr']), 0, stdout + stats('1', '2'), '');
    expect([...outcome.transferred].sort()).toEqual(['shots/日.exr', 'été.exr']);
  });

  // rsync escapes names in its error messages the same way (checked with rsync 3.5.0):
  // `rsync: [sender] link_stat "/tmp/rx/src/new\#012missing" failed: No such file or directory (2)`.
  it('unescapes the names quoted in stderr', () => {
    const line =
      'rsync: [sender] link_stat "/abs/src/new\\#012missing" failed: No such file or directory (2)';
    const outcome = readOutcome(job(['new\nmissing', 'a.txt']), 23, '46 a.txt\n', `${line}\n${CODE_23}`);
    expect(outcome.failed.get('new\nmissing')).toEqual({ code: 23, message: line });
  });

  // rsync prints a folder's `0 pkg/` line when it creates the folder, before the files in it: the
  // output of a pull killed mid-package (rsync 3.5.0, --bwlimit, SIGTERM after 2 s) was exactly this,
  // with pkg/zzz 98,304 of 5,000,000 bytes in staging. The package is not complete.
  it('does not count a package as transferred when rsync was interrupted inside it', () => {
    const stdout = '46 a.txt\n0 pkg/\n2000287 pkg/aaa\n';
    const stderr = [
      'rsync error: received SIGINT, SIGTERM, or SIGHUP (code 20) at io.c(586) [generator=3.5.0]',
      'rsync error: received SIGINT, SIGTERM, or SIGHUP (code 20) at rsync.c(874) [sender=3.5.0]',
    ].join('\n');
    const outcome = readOutcome(job(['a.txt', 'pkg/']), 20, stdout, stderr);
    expect(outcome.transferred.has('a.txt')).toBe(true);
    expect(outcome.transferred.has('pkg/')).toBe(false);
  });
});

describe('rsyncArgs', () => {
  const SHELLS = ['sh', 'bash', '/bin/sh', '/bin/bash', '-c'];

  it('pulls: the remote first, the local staging folder last, files from stdin, no shell', () => {
    const args = rsyncArgs(job(['a', 'pkg'], 'pull', ['--bwlimit=20m', '-z']));
    expect(args.at(-2)).toBe('site-a.example:/abs/src/');
    expect(args.at(-1)).toBe(`${STAGING}/`);
    for (const flag of ['-s', '--from0', '--files-from=-', '--out-format=%b %n', '--stats', '--inplace'])
      expect(args).toContain(flag);
    expect(args).not.toContain('--delay-updates');
    expect(args.filter((a) => a === '-e')).toHaveLength(1);
    const ssh = args[args.indexOf('-e') + 1]!;
    expect(ssh.startsWith('ssh ')).toBe(true);
    for (const shell of SHELLS) expect(args).not.toContain(shell);
    // the requested paths travel on stdin, never as arguments
    expect(args).not.toContain('a');
    expect(args).not.toContain('pkg');
    // the volume's words come before -e and the operands
    expect(args.indexOf('--bwlimit=20m')).toBeGreaterThan(args.indexOf('--files-from=-'));
    expect(args.indexOf('-z')).toBeLessThan(args.indexOf('-e'));
  });

  it('pushes: the local root first, the remote last, with a partial dir and delayed updates', () => {
    const args = rsyncArgs(job(['a'], 'push'));
    expect(args.at(-2)).toBe('/srv/b/');
    expect(args.at(-1)).toBe('site-a.example:/abs/src/');
    for (const flag of [
      '-s',
      '--from0',
      '--files-from=-',
      '--partial-dir=.syncplanet-partial',
      '--delay-updates',
    ])
      expect(args).toContain(flag);
    expect(args).not.toContain('--inplace');
    for (const shell of SHELLS) expect(args).not.toContain(shell);
  });

  it('keeps a local path that already ends with a slash, and brackets an IPv6 host', () => {
    const args = rsyncArgs({
      ...job(['a']),
      local: '/stage/',
      remote: { ...remote, host: '[::1]', path: '/d/' },
    });
    expect(args.at(-2)).toBe('[::1]:/d/');
    expect(args.at(-1)).toBe('/stage/');
  });
});

describe('sshCommand', () => {
  it('runs ssh in batch mode with the port, user and pinned, quoted known_hosts', () => {
    const command = sshCommand({ ...remote, port: 2222 }, { knownHosts: '/state dir/known_hosts' });
    expect(command.startsWith('ssh -p 2222 -l sync ')).toBe(true);
    expect(command).toContain('-o BatchMode=yes');
    expect(command).toContain('-o StrictHostKeyChecking=accept-new');
    expect(command).toContain("-o UserKnownHostsFile='/state dir/known_hosts'");
    expect(command).not.toContain(' -i ');
    expect(command).not.toContain('IdentitiesOnly');
  });

  it('passes the key, quoted, with IdentitiesOnly', () => {
    const command = sshCommand(remote, { key: '/keys/my key', knownHosts: '/k' });
    expect(command).toContain("-o IdentitiesOnly=yes -i '/keys/my key'");
  });

  it('shares one connection per peer through a control socket in the given folder', () => {
    const command = sshCommand(remote, { knownHosts: '/k', controlDir: '/state/ssh' });
    expect(command).toContain("-o ControlPath='/state/ssh/%C' -o ControlMaster=auto -o ControlPersist=30");
    expect(sshCommand(remote, { knownHosts: '/k' })).not.toContain('Control');
  });

  it('connects without sharing when the control folder is too long for a socket path', () => {
    const command = sshCommand(remote, { knownHosts: '/k', controlDir: `/${'d'.repeat(MAX_CONTROL_DIR)}` });
    expect(command).not.toContain('Control');
  });

  it('refuses a path with a single quote', () => {
    expect(() => sshCommand(remote, { knownHosts: "/state/it's/known_hosts" })).toThrow('single quote');
    expect(() => sshCommand(remote, { knownHosts: '/k', controlDir: "/it's" })).toThrow('single quote');
    expect(() => sshCommand(remote, { key: "/keys/o'key", knownHosts: '/k' })).toThrow('single quote');
  });
});

describe('parseVolumeUrl', () => {
  it.each([
    [
      'ssh://sync@site-a.example/abs/src/',
      { user: 'sync', host: 'site-a.example', port: 22, path: '/abs/src/' },
    ],
    ['ssh://sync@site-a.example:2222/', { user: 'sync', host: 'site-a.example', port: 2222, path: '/' }],
    ['ssh://u@10.0.0.7:22/data/', { user: 'u', host: '10.0.0.7', port: 22, path: '/data/' }],
    ['ssh://u@[::1]:2200/data/', { user: 'u', host: '[::1]', port: 2200, path: '/data/' }],
    ['ssh://u@h/my%20shots/v%C3%A9/', { user: 'u', host: 'h', port: 22, path: '/my shots/vé/' }],
  ])('reads %s', (url, expected) => {
    expect(parseVolumeUrl(url)).toEqual(expected);
  });

  it.each([
    'rsync://u@h/data/',
    'http://u@h/data/',
    'sftp://u@h/data/',
    'ssh://h/data/', // no user
    'ssh://u@h/data', // no trailing slash
    'ssh://u@h',
    'ssh://u@h:port/data/',
    'ssh://u@h:123456/data/',
    'ssh://u@h/my data/',
    ' ssh://u@h/data/',
    'ssh://u@h/data/\n',
    'ssh://u@v@h/data/',
    '/data/',
    '',
  ])('refuses %j', (url) => {
    expect(() => parseVolumeUrl(url)).toThrow(
      /^volume url .* must look like ssh:\/\/user@host\[:port\]\/path\/$/,
    );
  });

  // transfer.ts turns only errors starting with `volume url` into a per-file error 1; any other error
  // fails the whole round, every round, while that volume is a source or destination.
  it('refuses a malformed percent escape with its own message', () => {
    expect(() => parseVolumeUrl('ssh://u@h/data/100%/')).toThrow(/^volume url/);
  });

  // rsync reads an operand starting with `-` as options: with host `-oProxyCommand=x` the remote
  // operand `-oProxyCommand=x:/data/` makes rsync 3.5.0 fail with "option does not take an
  // argument"; other option words would be taken silently.
  it('refuses a host rsync would read as an option', () => {
    expect(() => parseVolumeUrl('ssh://u@-oProxyCommand=x/data/')).toThrow(/^volume url/);
    expect(() => parseVolumeUrl('ssh://u@--out-format=x/data/')).toThrow(/^volume url/);
  });
});
