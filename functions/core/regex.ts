/**
 * User regular expressions (damas `key:/re/`, search_mongo `REGEX_…`, `RX_…_RX`, `$regex`).
 * JavaScript regexes backtrack, so a pattern with nested quantifiers such as `(a+)+$` can block
 * the process for minutes on one value: those are refused up front (safe-regex2's star-height check).
 */
import safeRegex from 'safe-regex2';
import { BadQueryError } from './errors.js';
import { MAX_PATTERN_LENGTH } from './limits.js';

/** Compiles a user pattern, or throws a BadQueryError (400) saying why it was refused. */
export function userRegExp(pattern: string, flags: string, shown: string): RegExp {
  if (pattern.length > MAX_PATTERN_LENGTH) {
    throw new BadQueryError(`regular expression ${shown} is longer than ${MAX_PATTERN_LENGTH} characters`);
  }
  let regex: RegExp;
  try {
    regex = new RegExp(pattern, flags);
  } catch (error) {
    throw new BadQueryError(`invalid regular expression ${shown}`, { cause: error });
  }
  if (!safeRegex(regex)) {
    throw new BadQueryError(
      `regular expression ${shown} could take exponential time (nested quantifiers); simplify it`,
    );
  }
  return regex;
}
