/** Administration of users and API tokens, shared by the admin command and the tests. */
import { badRequest, conflict, notFound } from '../core/errors.js';
import { isUserClass, type UserClass } from '../core/permissions.js';
import type { NodeStore } from '../core/ports.js';
import type { Authenticator } from './authenticator.js';

const USERNAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export interface NewUser {
  username: string;
  userClass: UserClass;
  password: string;
  fullname?: string;
  email?: string;
}

/** Creates the user node `@username` and stores the password hash; refuses an existing user. */
export async function addUser(
  store: NodeStore,
  auth: Authenticator,
  user: NewUser,
  now = Date.now(),
): Promise<void> {
  if (!USERNAME.test(user.username)) {
    throw badRequest(
      'usernames are 1-64 letters, digits, dots, dashes or underscores, starting with a letter or digit',
    );
  }
  if (!isUserClass(user.userClass)) throw badRequest('class must be one of guest, user, editor, admin');
  const node = {
    _id: `@${user.username}`,
    username: user.username,
    class: user.userClass,
    author: 'admin',
    time: now,
    ...(user.fullname ? { fullname: user.fullname } : {}),
    ...(user.email ? { email: user.email } : {}),
  };
  const [created] = await store.create([[node]]);
  if (!created) throw conflict(`user ${user.username} already exists`);
  await auth.setPassword(user.username, user.password);
}

/** Changes a password, which revokes the user's older session tokens. */
export async function changePassword(
  store: NodeStore,
  auth: Authenticator,
  username: string,
  password: string,
) {
  if (!(await store.get(`@${username}`))) throw notFound(`user ${username} does not exist`);
  await auth.setPassword(username, password);
}
