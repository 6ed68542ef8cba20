/** Sites: one card per volume, read again after changes (at most every 3 s) and every 10 s. */
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import type { SiteStatus, StatsReply } from '../../../client/types.js';
import { errorMessage } from '../api.js';
import { ErrorText } from '../components/message.js';
import { SiteCard } from '../components/site-card.js';
import { formatCount } from '../format.js';
import type { Route } from '../listing.js';
import type { Session } from '../session.js';
import { useRefresh } from '../use-refresh.js';

interface Props {
  session: Session;
  navigate: (route: Route) => void;
}

export function SitesView({ session, navigate }: Props) {
  const { api, live } = session;
  const [sites, setSites] = useState<SiteStatus[]>();
  const [stats, setStats] = useState<StatsReply>();
  const [error, setError] = useState<string>();
  const [now, setNow] = useState(Date.now());

  useRefresh(live, async (active) => {
    try {
      const [s, st] = await Promise.all([api.run((c) => c.sites()), api.run((c) => c.stats())]);
      if (!active()) return;
      session.siteNames.update(s);
      setSites(s);
      setStats(st);
      setNow(Date.now());
      setError(undefined);
    } catch (failure) {
      if (active()) setError(errorMessage(failure));
    }
  });

  const byName = new Map(stats?.sites.map((s) => [s.site, s]));
  const sorted = [...(sites ?? [])].sort((a, b) => a.name.localeCompare(b.name));
  const on = sorted.filter((s) => s.agentStatus === 'on').length;
  const pending = stats?.sites.reduce((sum, s) => sum + (s.pending ?? 0), 0);
  return html`<section aria-labelledby="sites-title" aria-busy=${sites === undefined && !error}>
    <h1 id="sites-title">Sites</h1>
    <${ErrorText} message=${error} />
    ${
      sites !== undefined &&
      html`<p class="summary">
        ${formatCount(sorted.length)} volumes · ${on} agents on
        ${pending !== undefined && ` · ${formatCount(pending)} transfers pending`}
      </p>`
    }
    ${sites?.length === 0 && html`<p>No volumes yet: an admin creates them (see the README, Sites).</p>`}
    <ul class="cards" aria-label="Volumes">
      ${sorted.map(
        (site) =>
          html`<li key=${site._id}>
            <${SiteCard}
              site=${site}
              stats=${byName.get(site.name)}
              rate=${live.rates.rate(site.name, now)}
              now=${now}
              onQuery=${(query: string) => navigate({ view: 'files', listing: { kind: 'damas', query } })}
            />
          </li>`,
      )}
    </ul>
  </section>`;
}
