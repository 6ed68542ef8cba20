import { describe, expect, it } from 'vitest';
import {
  ANONYMOUS,
  OPEN_CALLER,
  USER_CLASSES,
  canAccess,
  checkWrite,
  classRank,
  isAuthor,
  isProtectedNodeId,
  isUserClass,
  requiredClass,
  type Caller,
  type Operation,
  type UserClass,
} from '../../functions/core/permissions.js';

const as = (c: UserClass, username: string | null = 'bob'): Caller => ({ username, class: c });
const open = { authorMode: false };
const authorMode = { authorMode: true };

describe('classes', () => {
  it('are ordered guest < user < editor < admin', () => {
    expect(USER_CLASSES.map(classRank)).toEqual([0, 1, 2, 3]);
  });

  it('isUserClass narrows only known class names', () => {
    for (const c of USER_CLASSES) expect(isUserClass(c)).toBe(true);
    for (const x of ['Admin', 'root', '', null, undefined, 3, ['admin']]) expect(isUserClass(x)).toBe(false);
  });
});

describe('route permissions', () => {
  const table: Record<UserClass, Operation[]> = {
    guest: ['read', 'search', 'search_one', 'search_mongo', 'graph', 'verify'],
    user: [
      'create',
      'publish',
      'comment',
      'lock',
      'unlock',
      'tokens',
      'heartbeat',
      'claim',
      'results',
      'scanned',
    ],
    editor: ['update', 'upsert', 'delete'],
    admin: ['tokens.admin', 'users', 'volumes', 'webhooks'],
  };

  for (const [needed, ops] of Object.entries(table) as [UserClass, Operation[]][]) {
    for (const op of ops) {
      it(`${op} needs ${needed}`, () => {
        expect(requiredClass(op)).toBe(needed);
        for (const c of USER_CLASSES) expect(canAccess(as(c), op)).toBe(classRank(c) >= classRank(needed));
      });
    }
  }

  it('anonymous is a guest; open mode is admin', () => {
    expect(canAccess(ANONYMOUS, 'read')).toBe(true);
    expect(canAccess(ANONYMOUS, 'create')).toBe(false);
    expect(canAccess(OPEN_CALLER, 'users')).toBe(true);
  });
});

describe('protected nodes and authors', () => {
  it('identifies admin-only node ids', () => {
    expect(isProtectedNodeId('@alice')).toBe(true);
    expect(isProtectedNodeId('rsyncGlobalParameters')).toBe(true);
    expect(isProtectedNodeId('/shots/@alice.exr')).toBe(false);
    expect(isProtectedNodeId('rsyncGlobalParameters2')).toBe(false);
  });

  it('matches string and array authors', () => {
    expect(isAuthor({ author: 'bob' }, 'bob')).toBe(true);
    expect(isAuthor({ author: ['ann', 'bob'] }, 'bob')).toBe(true);
    expect(isAuthor({ author: ['ann'] }, 'bob')).toBe(false);
    expect(isAuthor({}, 'bob')).toBe(false);
    expect(isAuthor({ author: null }, null)).toBe(false);
  });
});

describe('checkWrite', () => {
  const file = { _id: '/a.exr', author: 'ann', time: 1 };

  it('lets admins (and open mode) do anything', () => {
    expect(
      checkWrite(as('admin'), 'update', { _id: '@ann', class: 'admin', author: 'x' }, {}, authorMode),
    ).toBeNull();
    expect(checkWrite(OPEN_CALLER, 'delete', { _id: 'rsyncGlobalParameters' }, {}, authorMode)).toBeNull();
  });

  it('enforces the class table', () => {
    expect(checkWrite(as('user'), 'create', { _id: '/b' }, undefined, open)).toBeNull();
    expect(checkWrite(as('guest'), 'create', { _id: '/b' }, undefined, open)).toBe(
      "'create' requires class 'user'",
    );
    expect(checkWrite(as('user'), 'update', { _id: '/a.exr', x: 1 }, file, open)).toBe(
      "'update' requires class 'editor'",
    );
    expect(checkWrite(as('editor'), 'delete', { _id: '/a.exr' }, file, open)).toBeNull();
  });

  it.each(['author', 'time', 'class', 'username'])('only admins may set %s', (key) => {
    const reason = `only admins may set '${key}'`;
    expect(checkWrite(as('editor'), 'create', { _id: '/b', [key]: 'v' }, undefined, open)).toBe(reason);
    expect(checkWrite(as('editor'), 'update', { _id: '/a.exr', [key]: 'v' }, file, open)).toBe(reason);
    expect(
      checkWrite(as('editor'), 'update', { _id: '/a.exr', [key]: null }, { ...file, [key]: 'x' }, open),
    ).toBe(reason);
  });

  it('allows protected keys that are unchanged (read-modify-write)', () => {
    expect(checkWrite(as('editor'), 'update', { ...file, comment: 'c' }, file, open)).toBeNull();
    const multi = { _id: '/m', author: ['ann', 'bob'] };
    expect(checkWrite(as('editor'), 'update', { ...multi }, multi, open)).toBeNull();
    expect(checkWrite(as('editor'), 'update', { _id: '/m', author: ['bob', 'ann'] }, multi, open)).toBe(
      "only admins may set 'author'",
    );
  });

  it('keeps users and global parameters admin-only', () => {
    const reason = 'only admins may modify users and global parameters';
    expect(checkWrite(as('editor'), 'update', { _id: '@ann', fullname: 'A' }, { _id: '@ann' }, open)).toBe(
      reason,
    );
    expect(checkWrite(as('editor'), 'create', { _id: '@new' }, undefined, open)).toBe(reason);
    expect(
      checkWrite(as('editor'), 'update', { _id: 'rsyncGlobalParameters', enableScans: false }, {}, open),
    ).toBe(reason);
    expect(checkWrite(ANONYMOUS, 'update', { _id: '@ann' }, { _id: '@ann' }, open)).toBe(reason);
  });

  it("lets a user update their own user node's non-protected keys", () => {
    const me = { _id: '@bob', username: 'bob', class: 'guest', author: 'admin' };
    for (const c of ['guest', 'user'] as const) {
      expect(
        checkWrite(as(c), 'update', { _id: '@bob', email: 'b@x', password: 'pw' }, me, authorMode),
      ).toBeNull();
    }
    expect(checkWrite(as('guest'), 'update', { ...me, fullname: 'Bob' }, me, open)).toBeNull();
    expect(checkWrite(as('guest'), 'update', { _id: '@bob', class: 'admin' }, me, open)).toBe(
      "only admins may set 'class'",
    );
    expect(checkWrite(as('guest'), 'update', { _id: '@bob', username: 'eve' }, me, open)).toBe(
      "only admins may set 'username'",
    );
    expect(checkWrite(as('editor'), 'delete', { _id: '@bob' }, me, open)).toMatch(/only admins/);
    expect(checkWrite(as('user'), 'lock', { _id: '@bob' }, me, open)).toMatch(/only admins/);
    expect(checkWrite(as('user'), 'upsert', { _id: '@bob' }, undefined, open)).toMatch(/only admins/);
  });

  describe('authorMode', () => {
    const reason = 'authorMode: only the author may modify this node';
    const shared = { _id: '/s', author: ['ann', 'bob'] };

    it('restricts non-editors to nodes they authored', () => {
      expect(checkWrite(as('user'), 'lock', { _id: '/a.exr' }, file, authorMode)).toBe(reason);
      expect(checkWrite(as('user', 'ann'), 'lock', { _id: '/a.exr' }, file, authorMode)).toBeNull();
      expect(checkWrite(as('user'), 'unlock', { _id: '/s' }, shared, authorMode)).toBeNull();
      expect(checkWrite(as('user', 'cy'), 'unlock', { _id: '/s' }, shared, authorMode)).toBe(reason);
      expect(checkWrite(as('user'), 'lock', { _id: '/x' }, { _id: '/x' }, authorMode)).toBe(reason);
    });

    it('does not apply to creation, editors, or when off', () => {
      expect(checkWrite(as('user'), 'create', { _id: '/new' }, undefined, authorMode)).toBeNull();
      expect(checkWrite(as('editor'), 'update', { _id: '/a.exr', x: 1 }, file, authorMode)).toBeNull();
      expect(checkWrite(as('user'), 'lock', { _id: '/a.exr' }, file, open)).toBeNull();
    });
  });
});
