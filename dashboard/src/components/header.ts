/** Title, the view links, the live feed's state and who is signed in. */
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import type { Route } from '../listing.js';
import type { Session } from '../session.js';

const VIEWS = [
  { view: 'sites', label: 'Sites', href: '#/sites' },
  { view: 'files', label: 'Files', href: '#/files/' },
  { view: 'activity', label: 'Activity', href: '#/activity' },
] as const;

const LIVE_TEXT: Record<string, string> = {
  subscribed: 'Live',
  connecting: 'Connecting…',
  reconnecting: 'Reconnecting…',
  stopped: 'Not live',
  failed: 'Live updates failed',
};

function LiveState({ session }: { session: Session }) {
  const { live } = session;
  const [, setTick] = useState(0);
  useEffect(() => live.onStatus(() => setTick((n) => n + 1)), [live]);
  const text = LIVE_TEXT[live.status] ?? live.status;
  return html`<span class=${`live live-${live.status}`} role="status" title=${live.detail || text}>
    <span aria-hidden="true">●</span>
    ${text}${live.status === 'failed' && live.detail ? `: ${live.detail}` : ''}
  </span>`;
}

interface Props {
  session: Session;
  route: Route;
  onSignOut: () => void;
}

export function Header({ session, route, onSignOut }: Props) {
  return html`<header class="top">
    <p class="brand"><span aria-hidden="true">◍</span> SyncPlanet</p>
    <nav aria-label="Views">
      <ul>
        ${VIEWS.map(
          (v) =>
            html`<li key=${v.view}>
              <a href=${v.href} aria-current=${route.view === v.view ? 'page' : undefined}>${v.label}</a>
            </li>`,
        )}
      </ul>
    </nav>
    <${LiveState} session=${session} />
    <span class="who">
      ${session.open ? 'open mode (admin)' : html`${session.userId?.slice(1)} <small>(${session.userClass})</small>`}
    </span>
    ${!session.open && html`<button type="button" class="quiet" onClick=${onSignOut}>Sign out</button>`}
  </header>`;
}
