/** Site-scoped callers and admin-only volumes (permissions.ts). */
import { describe, expect, it } from 'vitest';
import {
  assertSiteScope,
  checkWrite,
  siteScopeRefusal,
  type Caller,
  type Operation,
} from '../../functions/core/permissions.js';

const agent: Caller = { username: 'bot', class: 'editor', site: 'B' };
const rules = { authorMode: false };

describe('siteScopeRefusal', () => {
  it('lets a scoped caller read, publish, heartbeat, claim, report results and scans, and nothing else', () => {
    const allowed: Operation[] = ['read', 'search', 'search_mongo', 'graph', 'verify', 'subscribe', 'sites'];
    const forSite: Operation[] = ['publish', 'heartbeat', 'claim', 'results', 'scanned'];
    for (const op of [...allowed, 'stats', 'metrics', 'queue', ...forSite] as Operation[]) {
      expect(siteScopeRefusal(agent, op), op).toBeNull();
    }
    const refused: Operation[] = ['create', 'update', 'upsert', 'delete', 'lock', 'unlock', 'comment'];
    for (const op of [...refused, 'tokens', 'webhooks', 'users', 'volumes', 'tasks'] as Operation[]) {
      expect(siteScopeRefusal(agent, op), op).toBe(`a token scoped to site B may not use '${op}'`);
    }
  });

  it('does not limit unscoped callers', () => {
    expect(siteScopeRefusal({ username: 'u', class: 'user' }, 'create')).toBeNull();
  });
});

describe('assertSiteScope', () => {
  it('throws 403 for another site, passes for its own or an unscoped caller', () => {
    expect(() => assertSiteScope(agent, 'B')).not.toThrow();
    expect(() => assertSiteScope({ username: 'u', class: 'user' }, 'C')).not.toThrow();
    expect(() => assertSiteScope(agent, 'C')).toThrow(/only for site B, not C/);
    try {
      assertSiteScope(agent, undefined);
    } catch (error) {
      expect((error as { status: number }).status).toBe(403);
    }
  });
});

describe('checkWrite and volumes', () => {
  const vol = { _id: 'vol-a', name: 'A', url: 'ssh://s@a/d/' };
  const reason = 'only admins may create, change or delete volumes';

  it('keeps volumes admin-only: creating, changing one switch, deleting', () => {
    const editor: Caller = { username: 'ed', class: 'editor' };
    expect(checkWrite(editor, 'create', vol, undefined, rules)).toBe(reason);
    expect(checkWrite(editor, 'update', { _id: 'vol-a', enableReception: false }, vol, rules)).toBe(reason);
    expect(checkWrite(editor, 'delete', { _id: 'vol-a' }, vol, rules)).toBe(reason);
    expect(checkWrite(editor, 'update', { _id: 'note', name: 'A' }, { _id: 'note' }, rules)).toBeNull();
    expect(checkWrite({ username: 'ad', class: 'admin' }, 'update', vol, vol, rules)).toBeNull();
  });

  it('refuses a scoped admin anything outside its scope', () => {
    const scopedAdmin: Caller = { username: 'ad', class: 'admin', site: 'A' };
    expect(checkWrite(scopedAdmin, 'create', { _id: '/x' }, undefined, rules)).toMatch(/scoped to site A/);
    expect(checkWrite(scopedAdmin, 'publish', { _id: '/x' }, undefined, rules)).toBeNull();
  });
});
