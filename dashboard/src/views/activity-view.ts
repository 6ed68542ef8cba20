/**
 * Activity: the live event feed (each change as it happens), the current sync failures by site
 * and code, and dead-lettered webhooks (admins).
 */
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import type { EventFrame } from '../../../client/events.js';
import type { Node, StatsReply } from '../../../client/types.js';
import { errorMessage, type Webhook, type WebhookFailure } from '../api.js';
import { ErrorText } from '../components/message.js';
import { formatCount, formatShortTime, formatTime } from '../format.js';
import type { Route } from '../listing.js';
import type { LiveFeed } from '../live.js';
import { rsyncCodeText } from '../rsync-codes.js';
import { allows, type Session } from '../session.js';
import { useRefresh } from '../use-refresh.js';
import { siteChanges } from '../changes.js';

const SHOWN_EVENTS = 100;

interface Props {
  session: Session;
  navigate: (route: Route) => void;
}

/** What an event changed, in words, from the node before it (when the page saw it) and after. */
export function describe(event: EventFrame, before: Node | undefined): string {
  const node = event.node;
  if (event.op === 'delete') return 'deleted';
  if (!node) return event.truncated ? 'changed (too large to show)' : 'changed';
  if (!node._id.startsWith('/')) {
    if (typeof node.name === 'string' && 'url' in node)
      return `volume ${node.name}: agent ${String(node.agentStatus ?? '?')}`;
    return event.op === 'create' ? 'created' : 'updated';
  }
  if (typeof node['#parent'] === 'string')
    return 'origin' in node ? `new version of ${node['#parent']}` : `comment on ${node['#parent']}`;
  if (event.op === 'create') return `published from ${String(node.origin ?? '?')}`;
  const changes = siteChanges(node, before).map(({ site, state }) =>
    state === 'error' ? `error ${String(node[`syncError_${site}`])} at ${site}` : `${state} at ${site}`,
  );
  if (changes.length) return changes.join(', ');
  if (before && before.lock !== node.lock) return node.lock ? `locked by ${String(node.lock)}` : 'unlocked';
  return 'updated';
}

function Feed({ live }: { live: LiveFeed }) {
  const [, setTick] = useState(0);
  useEffect(() => live.listen(() => setTick((n) => n + 1)), [live]);
  const events = live.recent.slice(0, SHOWN_EVENTS);
  return html`<section aria-labelledby="feed-title" class="feed">
    <h2 id="feed-title">Live events</h2>
    <p class="muted small">Changes since this page opened, newest first, as they happen.</p>
    ${events.length === 0 && html`<p>No changes yet.</p>`}
    <ol role="log" aria-label="Change events" class="events">
      ${events.map(
        ({ frame: e, seenAt, before }) =>
          html`<li key=${e.id} class=${`event op-${e.op}`}>
            <time title=${formatTime(seenAt)}>${formatShortTime(seenAt)}</time>
            <span class="op">${e.op}</span>
            <span class="id" title=${e._id}>${e._id}</span>
            <span class="what">${describe(e, before)}</span>
          </li>`,
      )}
    </ol>
  </section>`;
}

function Failures({ session, navigate }: Props) {
  const [stats, setStats] = useState<StatsReply>();
  const [error, setError] = useState<string>();
  useRefresh(session.live, async (active) => {
    try {
      const reply = await session.api.run((c) => c.stats());
      if (!active()) return;
      setStats(reply);
      setError(undefined);
    } catch (failure) {
      if (active()) setError(errorMessage(failure));
    }
  });
  const rows = (stats?.sites ?? []).flatMap((s) =>
    Object.entries(s.errors ?? {})
      .filter(([, n]) => n > 0)
      .map(([code, n]) => ({ site: s.site, code, n })),
  );
  return html`<section aria-labelledby="failures-title">
    <h2 id="failures-title">Current failures</h2>
    <${ErrorText} message=${error} />
    ${stats && rows.length === 0 && html`<p><span aria-hidden="true">✓ </span>No failed transfers waiting for a retry.</p>`}
    ${
      rows.length > 0 &&
      html`<table class="failures">
        <caption class="visually-hidden">
          Failed transfers by site and rsync exit code
        </caption>
        <thead>
          <tr>
            <th scope="col">Site</th>
            <th scope="col">Code</th>
            <th scope="col">Meaning</th>
            <th scope="col" class="num">Files</th>
          </tr>
        </thead>
        <tbody>
          ${rows.map(
            (r) =>
              html`<tr key=${`${r.site}-${r.code}`}>
                <th scope="row">${r.site}</th>
                <td class="state state-error"><span aria-hidden="true">✕ </span>${r.code}</td>
                <td>${rsyncCodeText(r.code)}</td>
                <td class="num">
                  <button
                    type="button"
                    class="link"
                    onClick=${() => navigate({ view: 'files', listing: { kind: 'damas', query: `syncError_${r.site}:${r.code}` } })}
                  >
                    ${formatCount(r.n)} files
                  </button>
                </td>
              </tr>`,
          )}
        </tbody>
      </table>`
    }
  </section>`;
}

function DeadLetters({ session }: { session: Session }) {
  const [hooks, setHooks] = useState<{ hook: Webhook; failures: WebhookFailure[] }[]>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    (async () => {
      const list = await session.api.webhooks();
      setHooks(
        await Promise.all(
          list.map(async (hook) => ({ hook, failures: await session.api.webhookFailures(hook.id) })),
        ),
      );
    })().catch((failure: unknown) => setError(errorMessage(failure)));
  }, [session]);
  const failing = hooks?.filter((h) => h.failures.length > 0) ?? [];
  return html`<section aria-labelledby="dead-title">
    <h2 id="dead-title">Dead-lettered webhooks</h2>
    <${ErrorText} message=${error} />
    ${hooks && failing.length === 0 && html`<p>No deliveries given up on (${hooks.length} webhooks).</p>`}
    ${failing.map(
      ({ hook, failures }) =>
        html`<div key=${hook.id}>
          <h3>
            ${hook.url} <small>(${failures.length} given up${hook.disabled ? ', disabled' : ''})</small>
          </h3>
          <ul class="dead">
            ${failures
              .slice(0, 20)
              .map(
                (f) =>
                  html`<li key=${f.id}>
                    event ${f.eventId}: ${String(f.lastError ?? 'failed')} (${String(f.attempt ?? '?')}
                    attempts)
                  </li>`,
              )}
          </ul>
        </div>`,
    )}
  </section>`;
}

export function ActivityView({ session, navigate }: Props) {
  return html`<div class="activity">
    <h1>Activity</h1>
    <div class="activity-grid">
      <${Feed} live=${session.live} />
      <div>
        <${Failures} session=${session} navigate=${navigate} />
        ${allows(session.userClass, 'admin') && html`<${DeadLetters} session=${session} />`}
      </div>
    </div>
  </div>`;
}
