/** The pure webhook rules (core/webhooks.ts): body and URL checks, ids, secrets, deliveries, retries. */
import { Webhook as Signer } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { TrackerError } from '../../functions/core/errors.js';
import { eventId, type ChangeEvent } from '../../functions/core/events.js';
import type { Webhook } from '../../functions/core/ports.js';
import { parseBodyWith } from '../../functions/core/schemas.js';
import {
  deliveriesFor,
  deliveryId,
  NewWebhookBody,
  newWebhookId,
  newWebhookSecret,
  nextAttemptAt,
  parseWebhookUrl,
} from '../../functions/core/webhooks.js';

const badRequestOf = (run: () => unknown): string => {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(TrackerError);
    expect((error as TrackerError).status).toBe(400);
    return (error as Error).message;
  }
  throw new Error('expected a 400');
};

describe('parseWebhookUrl', () => {
  it.each(['https://example.com/hook', 'http://hooks.example.com:8080/a/b?c=d', 'http://[2001:db8::1]/x'])(
    'accepts %s',
    (text) => {
      expect(parseWebhookUrl(text).href).toBe(new URL(text).href);
    },
  );

  it.each([
    ['', /required/],
    ['/relative/path', /not an absolute URL/],
    ['example.com/hook', /not an absolute URL/],
    ['ftp://example.com/hook', /http or https, not ftp/],
    ['file:///etc/passwd', /http or https, not file/],
    ['javascript:alert(1)', /http or https/],
    ['https://user:pw@example.com/hook', /username or password/],
    ['https://user@example.com/hook', /username or password/],
    [`https://example.com/${'a'.repeat(2048)}`, /longer than 2048/],
  ])('refuses %.60j', (text, message) => {
    expect(badRequestOf(() => parseWebhookUrl(text))).toMatch(message);
  });

  it('refuses a URL that grows past the limit once normalised', () => {
    const text = `https://example.com/a${' '.repeat(1000)}b`;
    expect(text.length).toBeLessThanOrEqual(2048);
    expect(badRequestOf(() => parseWebhookUrl(text))).toMatch(/once normalised/);
  });
});

describe('NewWebhookBody', () => {
  it('takes a url and an optional filter', () => {
    expect(parseBodyWith(NewWebhookBody, { url: 'https://x.example/h' }, 'webhook')).toEqual({
      url: 'https://x.example/h',
    });
    const body = { url: 'https://x.example/h', prefix: '/shots/', query: 'type:shot', ops: ['create'] };
    expect(parseBodyWith(NewWebhookBody, body, 'webhook')).toEqual(body);
  });

  it.each([
    [{}, /url/],
    [{ url: 42 }, /url/],
    [{ url: 'https://x.example', ops: ['rename'] }, /ops/],
    [{ url: 'https://x.example', prefix: '' }, /prefix/],
    [{ url: 'https://x.example', secret: 'whsec_mine' }, /secret/],
  ])('refuses %j', (body, message) => {
    expect(badRequestOf(() => parseBodyWith(NewWebhookBody, body, 'webhook'))).toMatch(message);
  });
});

describe('ids and secrets', () => {
  it('makes webhook ids of wh_ and 24 lowercase hex characters, all different', () => {
    const ids = new Set(Array.from({ length: 100 }, newWebhookId));
    expect(ids.size).toBe(100);
    for (const id of ids) expect(id).toMatch(/^wh_[0-9a-f]{24}$/);
  });

  it('makes secrets of 32 random bytes that standardwebhooks accepts', () => {
    const secret = newWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(32);
    expect(newWebhookSecret()).not.toBe(secret);
    const signer = new Signer(secret);
    const timestamp = new Date();
    const headers = {
      'webhook-id': 'msg_1',
      'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
      'webhook-signature': signer.sign('msg_1', timestamp, '{"a":1}'),
    };
    expect(new Signer(secret).verify('{"a":1}', headers)).toEqual({ a: 1 });
  });

  it('makes a stable delivery id that is a valid HTTP header value', () => {
    const hook = 'wh_0123456789abcdef01234567';
    const event = eventId(1_700_000_000_000, '123');
    const id = deliveryId(hook, event);
    expect(id).toBe(`msg_0123456789abcdef01234567_${event}`);
    expect(deliveryId(hook, event)).toBe(id);
    expect(id).toMatch(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/); // an RFC 9110 token
    expect(() => new Headers({ 'webhook-id': id })).not.toThrow();
  });
});

describe('deliveriesFor', () => {
  const hook = (id: string, filter: Webhook['filter'], disabled?: Webhook['disabled']): Webhook => ({
    id,
    url: 'https://x.example/h',
    secret: 'whsec_c2VjcmV0',
    filter,
    createdAt: 0,
    createdBy: null,
    ...(disabled ? { disabled } : {}),
  });
  const event: ChangeEvent = {
    id: eventId(1_700_000_000_000, '1'),
    op: 'update',
    _id: '/shots/s01/a.exr',
    time: 1_700_000_000_000,
    node: { _id: '/shots/s01/a.exr', type: 'frame' },
    previous: { _id: '/shots/s01/a.exr', type: 'draft' },
  };

  it('queues a pending delivery for each enabled hook whose filter matches, without the old image', () => {
    const hooks = [
      hook('wh_000000000000000000000001', {}),
      hook('wh_000000000000000000000002', { prefix: '/shots/' }),
      hook('wh_000000000000000000000003', { prefix: '/assets/' }),
      hook('wh_000000000000000000000004', { ops: ['delete'] }),
      hook('wh_000000000000000000000005', { query: 'type:frame' }),
      hook('wh_000000000000000000000006', { query: 'type:draft' }),
      hook('wh_000000000000000000000007', {}, { at: 1, reason: 'receiver answered 410 Gone' }),
    ];
    const deliveries = deliveriesFor(event, hooks, 42);
    expect(deliveries.map((d) => d.webhookId)).toEqual([
      'wh_000000000000000000000001',
      'wh_000000000000000000000002',
      'wh_000000000000000000000005',
    ]);
    const { previous: _previous, ...payload } = event;
    expect(deliveries[0]).toEqual({
      id: deliveryId('wh_000000000000000000000001', event.id),
      webhookId: 'wh_000000000000000000000001',
      event: payload,
      attempt: 0,
      dueAt: 42,
      state: 'pending',
    });
  });

  it('gives the same ids for the same event (idempotent enqueue) and skips a filter that no longer compiles', () => {
    const hooks = [
      hook('wh_000000000000000000000001', {}),
      hook('wh_000000000000000000000002', { query: ' ' }),
    ];
    const first = deliveriesFor(event, hooks, 1).map((d) => d.id);
    expect(first).toEqual([deliveryId('wh_000000000000000000000001', event.id)]);
    expect(deliveriesFor(event, hooks, 2).map((d) => d.id)).toEqual(first);
  });
});

describe('nextAttemptAt', () => {
  const DEFAULT = [5e3, 3e5, 18e5, 72e5, 18e6, 36e6, 504e5, 72e6, 864e5]; // 5s 5m 30m 2h 5h 10h 14h 20h 24h

  it('follows the schedule, then gives up', () => {
    expect(nextAttemptAt(1, DEFAULT, 1000)).toBe(6000);
    expect(nextAttemptAt(2, DEFAULT, 1000)).toBe(301_000);
    expect(nextAttemptAt(9, DEFAULT, 0)).toBe(86_400_000);
    expect(nextAttemptAt(10, DEFAULT, 0)).toBeUndefined();
    expect(nextAttemptAt(1, [], 0)).toBeUndefined();
  });

  it('makes 10 attempts over about 3 days with the default schedule', () => {
    let now = 0;
    let attempts = 1;
    for (let next = nextAttemptAt(attempts, DEFAULT, now); next !== undefined;) {
      now = next;
      attempts++;
      next = nextAttemptAt(attempts, DEFAULT, now);
    }
    expect(attempts).toBe(10);
    expect(now / 86_400_000).toBeGreaterThan(3);
    expect(now / 86_400_000).toBeLessThan(3.2);
  });

  it('refuses attempt numbers below 1', () => {
    expect(() => nextAttemptAt(0, DEFAULT, 0)).toThrow(RangeError);
    expect(() => nextAttemptAt(1.5, DEFAULT, 0)).toThrow(RangeError);
  });
});
