/**
 * User nodes: a user `name` is the node `@name` with `username`, `class` (guest < user < editor <
 * admin), optional `fullname`, `email` and `disable`. Passwords never live on the node: one given
 * on a user node is taken out and stored hashed, apart (auth table). Pure: no I/O.
 */
import { badRequest } from './errors.js';
import { MAX_PASSWORD_LENGTH } from './limits.js';
import type { Node, NodeBody } from './nodes.js';
import { isUserClass, USER_CLASSES, type UserClass } from './permissions.js';

const USERNAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const CLASS_LIST = USER_CLASSES.join(', ');

export const userNodeId = (username: string) => `@${username}`;
const isUserNodeId = (id: string) => id.startsWith('@');

function validateUsername(username: string): string {
  if (!USERNAME.test(username)) {
    throw badRequest(
      'usernames are 1-64 letters, digits, dots, dashes or underscores, starting with a letter or digit',
    );
  }
  return username;
}

function validateUserClass(value: unknown): UserClass {
  if (!isUserClass(value)) throw badRequest(`class must be one of ${CLASS_LIST}`);
  return value;
}

/** The class a user node grants; an unknown class is a guest. */
export const classOf = (user: Node): UserClass => (isUserClass(user.class) ? user.class : 'guest');

/** A user may sign in and call the API while their node exists and is not `disable`d. */
export const isActiveUser = (user: Node | undefined): user is Node =>
  user !== undefined && user.disable !== true;

export interface NewUser {
  username: string;
  userClass: UserClass;
  password: string;
  fullname?: string;
  email?: string;
}

export function newUserNode(user: NewUser, now: number): Node {
  return {
    _id: userNodeId(validateUsername(user.username)),
    username: user.username,
    class: validateUserClass(user.userClass),
    author: 'admin',
    time: now,
    ...(user.fullname ? { fullname: user.fullname } : {}),
    ...(user.email ? { email: user.email } : {}),
  };
}

export function validatePassword(password: unknown): string {
  if (typeof password !== 'string' || password.length === 0 || password.length > MAX_PASSWORD_LENGTH) {
    throw badRequest(`password must be a non-empty string of at most ${MAX_PASSWORD_LENGTH} characters`);
  }
  return password;
}

/** Takes a password given on a user node (`@name`) out of the node, checking the node's class. */
export function takePassword(
  node: NodeBody & { _id?: unknown },
): { username: string; password: string } | undefined {
  const id = node._id;
  if (typeof id !== 'string' || !isUserNodeId(id)) return undefined;
  if (node.class !== undefined) validateUserClass(node.class);
  if (!('password' in node)) return undefined;
  const password = node.password;
  delete node.password;
  return { username: id.slice(1), password: validatePassword(password) };
}
