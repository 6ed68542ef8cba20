/**
 * What a scan looks at, from the global parameters and the volume (the volume's value wins):
 * `includePatternRules` / `excludePatternRules` (globs on the path from the root, one per line or
 * comma-separated; no include rule means everything), `excludedFiles` (file names or globs on the
 * name, such as `.DS_Store, *.tmp`) and `packagePatternRules` (folders synced as one unit). Pure.
 */
import picomatch from 'picomatch';
import { PRIVATE_DIR } from './paths.js';

type Keys = Record<string, unknown>;
export type Matcher = (rel: string) => boolean;

export interface ScanRules {
  /** Should this file (path from the root) be published? */
  includes: Matcher;
  /** Is this folder a package? */
  isPackage: Matcher;
  /** Is this folder skipped entirely (the agent's own folder, rsync's partial folders, excluded)? */
  skipsFolder: Matcher;
}

/** Names rsync and the agent use for work in progress: never published. */
const WORK_NAMES = [PRIVATE_DIR, '.syncplanet-partial'];

const patterns = (value: unknown): string[] =>
  typeof value === 'string'
    ? value
        .split(/[\n,]/)
        .map((p) => p.trim())
        .filter(Boolean)
    : [];

const matcher = (list: string[], options: picomatch.PicomatchOptions = {}): Matcher | null =>
  list.length ? picomatch(list, { dot: true, ...options }) : null;

export function scanRules(globals: Keys | undefined, volume: Keys): ScanRules {
  const pick = (key: string) => patterns(volume[key] ?? globals?.[key]);
  const include = matcher(pick('includePatternRules'));
  const exclude = matcher(pick('excludePatternRules'));
  const excludedName = matcher([...pick('excludedFiles')], { basename: true });
  const pkg = matcher(pick('packagePatternRules').map((p) => p.replace(/\/+$/, '')));
  const work = (name: string) => WORK_NAMES.includes(name);
  const skipsFolder = (rel: string) => work(rel.slice(rel.lastIndexOf('/') + 1)) || (exclude?.(rel) ?? false);
  /** Is the folder, or one above it, skipped? Memoised: a scan asks once per file. */
  const hidden = new Map<string, boolean>();
  const underSkipped = (folder: string): boolean => {
    if (folder === '') return false;
    let answer = hidden.get(folder);
    if (answer === undefined) {
      const up = folder.lastIndexOf('/');
      answer = skipsFolder(folder) || underSkipped(up < 0 ? '' : folder.slice(0, up));
      hidden.set(folder, answer);
    }
    return answer;
  };
  return {
    includes: (rel) => {
      const at = rel.lastIndexOf('/');
      return (
        !work(rel.slice(at + 1)) &&
        !underSkipped(at < 0 ? '' : rel.slice(0, at)) &&
        !exclude?.(rel) &&
        !excludedName?.(rel) &&
        (include?.(rel) ?? true)
      );
    },
    isPackage: (rel) => pkg?.(rel) ?? false,
    skipsFolder,
  };
}
