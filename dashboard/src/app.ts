/**
 * The page: finds out who is looking (`GET verify`; a 401 shows the sign-in form), starts the live
 * event feed, and shows the view the address names (`#/sites`, `#/files/…`, `#/activity`).
 */
import { html } from 'htm/preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { Api, errorMessage, isStatus } from './api.js';
import type { DashboardConfig } from './config.js';
import { Boundary } from './components/boundary.js';
import { Header } from './components/header.js';
import { ErrorText } from './components/message.js';
import { SignIn } from './components/sign-in.js';
import { parseRoute, routeHash, type Route } from './listing.js';
import { LiveFeed } from './live.js';
import { classOf, type Session } from './session.js';
import { SiteNames } from './site-names.js';
import { savedToken, saveToken } from './token.js';
import { ActivityView } from './views/activity-view.js';
import { FilesView } from './views/files-view.js';
import { SitesView } from './views/sites-view.js';

type State =
  | { kind: 'loading' }
  | { kind: 'signIn'; api: Api; reason: string | undefined }
  | { kind: 'failed'; message: string }
  | { kind: 'ready'; session: Session };

function useRoute(): [Route, (route: Route) => void] {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const changed = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', changed);
    return () => removeEventListener('hashchange', changed);
  }, []);
  const navigate = useCallback((next: Route) => {
    const hash = routeHash(next);
    if (hash === location.hash) setRoute(next);
    else location.hash = hash;
  }, []);
  return [route, navigate];
}

export function App({ config }: { config: DashboardConfig }) {
  const [state, setState] = useState<State>({ kind: 'loading' });
  const [route, navigate] = useRoute();
  const current = useRef<Session | undefined>(undefined);
  /** Bumped by each connection: a late 401 of an earlier session changes nothing. */
  const generation = useRef(0);

  /** Ends the session (its late 401s change nothing) and shows the sign-in form. */
  const showSignIn = useCallback(
    (reason: string | undefined) => {
      generation.current++;
      current.current?.live.stop();
      current.current = undefined;
      saveToken(undefined);
      setState({ kind: 'signIn', api: new Api(config.apiUrl, undefined, () => {}), reason });
    },
    [config],
  );

  const connect = useCallback(
    async (token: string | undefined) => {
      current.current?.live.stop();
      current.current = undefined;
      const mine = ++generation.current;
      const unauthorized = (message: string) => {
        if (generation.current === mine) showSignIn(token ? `Please sign in again (${message}).` : undefined);
      };
      const api = new Api(config.apiUrl, token, unauthorized);
      try {
        const user = await api.run((c) => c.verify());
        const live = new LiveFeed(api.client, config.eventsUrl, unauthorized);
        const session: Session = {
          api,
          live,
          siteNames: new SiteNames(api, live),
          userId: '_id' in user ? user._id : undefined,
          ...classOf(user),
        };
        current.current = session;
        live.start();
        setState({ kind: 'ready', session });
      } catch (error) {
        if (!isStatus(error, 401)) setState({ kind: 'failed', message: errorMessage(error) });
      }
    },
    [config, showSignIn],
  );

  useEffect(() => {
    void connect(savedToken());
    return () => current.current?.live.stop();
  }, [connect]);

  const signOut = useCallback(() => showSignIn('You are signed out.'), [showSignIn]);

  if (state.kind === 'loading') return html`<main id="main" class="boot" aria-busy="true">Loading…</main>`;
  if (state.kind === 'failed')
    return html`<main id="main" class="boot">
      <h1>SyncPlanet</h1>
      <${ErrorText} message=${state.message} />
      <button type="button" onClick=${() => connect(savedToken())}>Try again</button>
    </main>`;
  if (state.kind === 'signIn')
    return html`<${SignIn}
      api=${state.api}
      reason=${state.reason}
      onToken=${(token: string) => {
        saveToken(token);
        void connect(token);
      }}
    />`;
  const { session } = state;
  return html`
    <${Header} session=${session} route=${route} onSignOut=${signOut} />
    <main id="main">
      <${Boundary} resetKey=${route.view}>
        ${route.view === 'sites' && html`<${SitesView} session=${session} navigate=${navigate} />`}
        ${route.view === 'files' && html`<${FilesView} session=${session} listing=${route.listing} navigate=${navigate} />`}
        ${route.view === 'activity' && html`<${ActivityView} session=${session} navigate=${navigate} />`}
      <//>
    </main>
  `;
}
