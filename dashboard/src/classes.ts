/** The caller's class from `GET verify`, and what it allows. Pure. */
import type { Node } from '../../client/types.js';

export const CLASSES = ['guest', 'user', 'editor', 'admin'] as const;
export type UserClass = (typeof CLASSES)[number];

/** The class of a `verify` answer: `{}` is open mode's anonymous admin. */
export function classOf(user: Node | Record<string, never>): { userClass: UserClass; open: boolean } {
  if (!('_id' in user)) return { userClass: 'admin', open: true };
  const value = (user as Node).class;
  return { userClass: CLASSES.includes(value as UserClass) ? (value as UserClass) : 'guest', open: false };
}

/** Whether `userClass` may do what needs `needed` (guest < user < editor < admin). */
export const allows = (userClass: UserClass, needed: UserClass) =>
  CLASSES.indexOf(userClass) >= CLASSES.indexOf(needed);
