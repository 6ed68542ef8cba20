/** Connection and webhook stores against DynamoDB Local: subscribe, the audience, webhook CRUD. */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connection, Webhook } from '../../../functions/core/ports.js';
import { DynamoConnectionStore } from '../../../functions/store/connection-store.js';
import { DynamoWebhookStore } from '../../../functions/store/webhook-store.js';
import { freshTables } from './tables.js';

const { db, names, ready } = freshTables();
const connections = new DynamoConnectionStore(db, names.connections);
const hooks = new DynamoWebhookStore(db, names.webhooks);
// Near now: DynamoDB Local deletes items whose `expiresAt` has passed.
const NOW = Date.now();

beforeAll(ready);
afterAll(() => db.destroy());

describe('connections', () => {
  it('stores a connection with a TTL three hours after it opened', async () => {
    const connection: Connection = { id: 'c-ttl', username: 'ann', class: 'user', connectedAt: NOW };
    await connections.put(connection);
    expect(await connections.get('c-ttl')).toStrictEqual(connection);
    const raw = await db.send(new GetCommand({ TableName: names.connections, Key: { pk: 'c-ttl' } }));
    expect(raw.Item?.expiresAt).toBe(Math.ceil((NOW + 3 * 60 * 60 * 1000) / 1000));
    expect(raw.Item).not.toHaveProperty('filter');
  });

  it('subscribes open connections only and lists the subscribed ones', async () => {
    await connections.put({ id: 'c-anon', username: null, class: 'guest', connectedAt: NOW });
    await connections.put({ id: 'c-idle', username: 'bob', class: 'editor', connectedAt: NOW });
    await connections.put({ id: 'c-gone', username: 'cy', class: 'user', connectedAt: NOW });
    await connections.delete('c-gone');
    await connections.delete('c-never-existed');

    const filter = { prefix: '/proj/', query: 'type:shot', ops: ['create' as const, 'update' as const] };
    expect(await connections.subscribe('c-anon', filter)).toBe(true);
    expect(await connections.subscribe('c-ttl', { prefix: '/x/' })).toBe(true);
    expect(await connections.subscribe('c-gone', filter)).toBe(false);
    expect(await connections.get('c-gone')).toBeUndefined();

    expect(await connections.get('c-anon')).toStrictEqual({
      id: 'c-anon',
      username: null,
      class: 'guest',
      connectedAt: NOW,
      filter,
    });
    const audience = (await connections.subscribed()).sort((a, b) => a.id.localeCompare(b.id));
    expect(audience.map((c) => [c.id, c.filter])).toEqual([
      ['c-anon', filter],
      ['c-ttl', { prefix: '/x/' }],
    ]);
  });

  it('pages through a large audience', async () => {
    const pad = 'x'.repeat(900);
    await Promise.all(
      Array.from({ length: 1200 }, (_, i) =>
        connections.put({
          id: `many-${i}`,
          username: pad,
          class: 'user',
          connectedAt: NOW,
          filter: { prefix: `/p${i}/` },
        }),
      ),
    );
    expect((await connections.subscribed()).filter((c) => c.id.startsWith('many-'))).toHaveLength(1200);
  });
});

describe('webhooks', () => {
  const hook = (id: string, createdAt: number): Webhook => ({
    id,
    url: `https://example.com/${id}`,
    secret: 'whsec_c2VjcmV0',
    filter: { prefix: '/proj/' },
    createdAt,
    createdBy: createdAt % 2 ? 'ann' : null,
  });

  it('puts, gets, lists by creation time, disables and deletes', async () => {
    const [b, a, c] = [hook('wh_b', NOW + 2), hook('wh_a', NOW + 1), hook('wh_c', NOW + 3)];
    for (const h of [b, a, c]) await hooks.put(h);
    expect(await hooks.get('wh_a')).toStrictEqual(a);
    expect(await hooks.get('wh_missing')).toBeUndefined();
    expect(await hooks.list()).toStrictEqual([a, b, c]);

    await hooks.disable('wh_b', 'receiver answered 410', NOW + 10);
    expect(await hooks.get('wh_b')).toStrictEqual({
      ...b,
      disabled: { at: NOW + 10, reason: 'receiver answered 410' },
    });
    await hooks.disable('wh_missing', 'gone', NOW);
    expect(await hooks.get('wh_missing')).toBeUndefined();

    const replaced = { ...c, url: 'https://example.org/new' };
    await hooks.put(replaced);
    expect(await hooks.get('wh_c')).toStrictEqual(replaced);

    expect(await hooks.delete('wh_a')).toBe(true);
    expect(await hooks.delete('wh_a')).toBe(false);
    expect((await hooks.list()).map((h) => h.id)).toEqual(['wh_b', 'wh_c']);
  });
});
