/** What a scan looks at: include/exclude globs, excluded names, packages, and the agent's own folders. */
import { describe, expect, it } from 'vitest';
import { scanRules } from '../../../agent/rules.js';

describe('scanRules', () => {
  it('includes everything, dot files too, and no package when there is no rule', () => {
    for (const rules of [scanRules(undefined, {}), scanRules({}, {})]) {
      expect(rules.includes('a.txt')).toBe(true);
      expect(rules.includes('deep/er/b.exr')).toBe(true);
      expect(rules.includes('.hidden/.file')).toBe(true);
      expect(rules.skipsFolder('shots')).toBe(false);
      expect(rules.skipsFolder('.git')).toBe(false);
      expect(rules.isPackage('shots')).toBe(false);
    }
  });

  it('includes only the paths an include rule matches (one per line or comma-separated)', () => {
    for (const includePatternRules of ['shots/**/*.exr\nplates/**', ' shots/**/*.exr , plates/** ,', '\n']) {
      const rules = scanRules({ includePatternRules }, {});
      const any = includePatternRules.trim() === '';
      expect(rules.includes('shots/010/a.exr')).toBe(true);
      expect(rules.includes('shots/a.exr')).toBe(true);
      expect(rules.includes('plates/x/y.dpx')).toBe(true);
      expect(rules.includes('shots/010/a.txt')).toBe(any);
      expect(rules.includes('other/a.exr')).toBe(any);
      expect(rules.includes('a.exr')).toBe(any);
      // include rules select files, they do not stop the walk
      expect(rules.skipsFolder('other')).toBe(false);
    }
  });

  it('excludes the paths an exclude rule matches, even when an include rule matches them too', () => {
    const rules = scanRules(
      { includePatternRules: '**', excludePatternRules: '**/*.tmp\ncache/**, shots/*/old.exr' },
      {},
    );
    expect(rules.includes('a.tmp')).toBe(false);
    expect(rules.includes('x/y/a.tmp')).toBe(false);
    expect(rules.includes('a.tmpl')).toBe(true);
    expect(rules.includes('cache/x.bin')).toBe(false);
    expect(rules.includes('shots/010/old.exr')).toBe(false);
    expect(rules.includes('shots/010/new.exr')).toBe(true);
    expect(rules.includes('shots/010/sub/old.exr')).toBe(true);
    expect(rules.skipsFolder('cache')).toBe(true);
    expect(rules.skipsFolder('cache/deeper')).toBe(true);
    expect(rules.skipsFolder('shots')).toBe(false);
    expect(rules.skipsFolder('mycache')).toBe(false);
  });

  it('matches excludedFiles on the file name, at any depth, without skipping folders', () => {
    const rules = scanRules({ excludedFiles: '.DS_Store, *.tmp\nThumbs.db' }, {});
    expect(rules.includes('.DS_Store')).toBe(false);
    expect(rules.includes('shots/010/.DS_Store')).toBe(false);
    expect(rules.includes('a/b.tmp')).toBe(false);
    expect(rules.includes('Thumbs.db')).toBe(false);
    expect(rules.includes('x/Thumbs.db')).toBe(false);
    expect(rules.includes('a/b.tmpl')).toBe(true);
    expect(rules.includes('a/DS_Store')).toBe(true);
    expect(rules.includes('a/.DS_Store.keep')).toBe(true);
    expect(rules.includes('b.tmp/kept.exr')).toBe(true);
    expect(rules.skipsFolder('b.tmp')).toBe(false);
  });

  it('recognises package folders from packagePatternRules, a trailing slash or not', () => {
    const rules = scanRules({ packagePatternRules: 'renders/*\nshots/*/plates/, **/*.abc/' }, {});
    expect(rules.isPackage('renders/s1')).toBe(true);
    expect(rules.isPackage('renders/.s2')).toBe(true);
    expect(rules.isPackage('renders')).toBe(false);
    expect(rules.isPackage('renders/s1/sub')).toBe(false);
    expect(rules.isPackage('shots/010/plates')).toBe(true);
    expect(rules.isPackage('shots/010/plates/x')).toBe(false);
    expect(rules.isPackage('shots/plates')).toBe(false);
    expect(rules.isPackage('a/b/cache.abc')).toBe(true);
    expect(rules.isPackage('a/b/cache.abcd')).toBe(false);
  });

  it('never includes nor walks the private folder and rsync partial folders, whatever the rules', () => {
    for (const rules of [
      scanRules(undefined, {}),
      scanRules({ includePatternRules: '**', packagePatternRules: '**' }, {}),
    ]) {
      expect(rules.includes('.syncplanet')).toBe(false);
      expect(rules.includes('.syncplanet-partial')).toBe(false);
      expect(rules.includes('shots/.syncplanet-partial')).toBe(false);
      expect(rules.skipsFolder('.syncplanet')).toBe(true);
      expect(rules.skipsFolder('.syncplanet-partial')).toBe(true);
      expect(rules.skipsFolder('shots/010/.syncplanet-partial')).toBe(true);
      // look-alikes are ordinary names
      expect(rules.includes('.syncplanet.txt')).toBe(true);
      expect(rules.includes('shots/syncplanet')).toBe(true);
      expect(rules.skipsFolder('.syncplanet2')).toBe(false);
    }
  });

  // `includes` answers "should this file be published": a file inside a folder the rules skip must
  // answer false too, or scan's `gone` filter (scan.ts) marks the tracked files of a newly excluded
  // folder missing instead of leaving them alone as it does for files excluded by a file glob.
  it('does not include a file inside the private folder or a partial folder', () => {
    const rules = scanRules(undefined, {});
    expect(rules.includes('.syncplanet/index')).toBe(false);
    expect(rules.includes('.syncplanet/incoming/shots/a.exr')).toBe(false);
    expect(rules.includes('shots/.syncplanet-partial/a.exr')).toBe(false);
  });

  it('does not include a file inside a folder an exclude rule skips', () => {
    const rules = scanRules({ excludePatternRules: 'renders, **/tmp' }, {});
    expect(rules.skipsFolder('renders')).toBe(true);
    expect(rules.skipsFolder('a/tmp')).toBe(true);
    expect(rules.includes('renders/a.exr')).toBe(false);
    expect(rules.includes('a/tmp/x.bin')).toBe(false);
  });

  it("takes the volume's value of a rule over the global one, and the global one when the volume has none", () => {
    const globals = {
      includePatternRules: 'global/**',
      excludePatternRules: '**/*.gex',
      excludedFiles: '*.gtmp',
      packagePatternRules: 'gpkg/*',
    };
    const own = scanRules(globals, {
      includePatternRules: 'mine/**',
      excludePatternRules: '**/*.vex',
      excludedFiles: '*.vtmp',
      packagePatternRules: 'vpkg/*',
    });
    expect(own.includes('mine/a')).toBe(true);
    expect(own.includes('global/a')).toBe(false);
    expect(own.includes('mine/a.gex')).toBe(true);
    expect(own.includes('mine/a.vex')).toBe(false);
    expect(own.includes('mine/a.gtmp')).toBe(true);
    expect(own.includes('mine/a.vtmp')).toBe(false);
    expect(own.isPackage('vpkg/p')).toBe(true);
    expect(own.isPackage('gpkg/p')).toBe(false);

    for (const volume of [{}, { includePatternRules: undefined, excludedFiles: null }]) {
      const inherited = scanRules(globals, volume);
      expect(inherited.includes('global/a')).toBe(true);
      expect(inherited.includes('mine/a')).toBe(false);
      expect(inherited.includes('global/a.gex')).toBe(false);
      expect(inherited.includes('global/a.gtmp')).toBe(false);
      expect(inherited.isPackage('gpkg/p')).toBe(true);
    }

    // one rule overridden, the others still global
    const mixed = scanRules(globals, { excludedFiles: '*.vtmp' });
    expect(mixed.includes('global/a.gtmp')).toBe(true);
    expect(mixed.includes('global/a.vtmp')).toBe(false);
    expect(mixed.includes('global/a.gex')).toBe(false);
    expect(mixed.includes('mine/a')).toBe(false);
  });

  it('ignores rule values that are not strings', () => {
    const rules = scanRules({ excludedFiles: ['*.tmp'], includePatternRules: 42 }, {});
    expect(rules.includes('a.tmp')).toBe(true);
    expect(rules.includes('anything')).toBe(true);
  });
});
