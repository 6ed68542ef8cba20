/** One volume: agent on/off and last heartbeat, capacity, backlog, transfers, errors, catch-up time. */
import { html } from 'htm/preact';
import type { SiteStats, SiteStatus } from '../../../client/types.js';
import { formatAgo, formatBytes, formatCount, formatDuration } from '../format.js';
import { catchUp, type SiteRate } from '../rates.js';
import { rsyncCodeText } from '../rsync-codes.js';

interface Props {
  site: SiteStatus;
  stats: SiteStats | undefined;
  rate: SiteRate;
  now: number;
  /** Opens the Files view on a query (the files in error at this site). */
  onQuery: (query: string) => void;
}

function Gauge({ used, total, name }: { used: number | undefined; total: number | undefined; name: string }) {
  if (typeof used !== 'number' || typeof total !== 'number' || total <= 0)
    return html`<p class="muted">Capacity not reported</p>`;
  const share = Math.min(1, used / total);
  const percent = Math.round(share * 100);
  const level = share > 0.9 ? 'high' : share > 0.75 ? 'mid' : 'low';
  const text = `${formatBytes(used)} of ${formatBytes(total)} used (${percent}%)`;
  return html`<div class="gauge">
    <div
      class=${`gauge-bar gauge-${level}`}
      role="meter"
      aria-label=${`Capacity of ${name}`}
      aria-valuemin="0"
      aria-valuemax=${total}
      aria-valuenow=${used}
      aria-valuetext=${text}
    >
      <span style=${{ width: `${percent}%` }}></span>
    </div>
    <p>${text}</p>
  </div>`;
}

export function SiteCard({ site, stats, rate, now, onQuery }: Props) {
  const on = site.agentStatus === 'on';
  const pending = stats?.pending ?? site.backlog?.pending;
  const bytes = stats?.bytes ?? site.backlog?.bytes;
  const errors = Object.entries(stats?.errors ?? site.errors ?? {}).filter(([, n]) => n > 0);
  const estimate = catchUp(pending, bytes, rate);
  const headingId = `site-${site._id}`;
  return html`<section class=${`card site ${on ? 'site-on' : 'site-off'}`} aria-labelledby=${headingId}>
    <header>
      <h3 id=${headingId}>${site.name}</h3>
      <span class=${`badge ${on ? 'badge-on' : 'badge-off'}`}>
        <span aria-hidden="true">${on ? '●' : '○'}</span> agent ${on ? 'on' : 'off'}
      </span>
    </header>
    <p class="muted small" title=${String(site.url ?? '')}>${site._id} · ${String(site.url ?? '')}</p>
    <dl class="facts">
      <dt>Last heartbeat</dt>
      <dd>
        ${formatAgo(site.lastHeartbeat, now)}${site.agentVersion ? ` · v${String(site.agentVersion)}` : ''}
      </dd>
      <dt>Backlog</dt>
      <dd>
        ${pending === undefined ? '—' : `${formatCount(pending)} files · ${formatBytes(bytes)}`}
        ${stats?.oldestPendingAge ? html` <small>(oldest ${formatDuration(stats.oldestPendingAge)})</small>` : ''}
      </dd>
      <dt>In progress</dt>
      <dd>${stats?.syncing === undefined ? '—' : `${formatCount(stats.syncing)} transfers`}</dd>
      <dt>Catch-up</dt>
      <dd>
        ${estimate.ms === undefined ? estimate.text : `≈ ${formatDuration(estimate.ms)}`}
        ${rate.files > 0 && html` <small>(${rate.filesPerMinute.toFixed(1)} files/min)</small>`}
      </dd>
      <dt>Errors</dt>
      <dd>
        ${
          errors.length === 0
            ? 'none'
            : html`<ul class="codes">
                ${errors.map(
                  ([code, n]) =>
                    html`<li key=${code}>
                      <button
                        type="button"
                        class="link"
                        title=${`List the files in error ${code} at ${site.name}`}
                        onClick=${() => onQuery(`syncError_${site.name}:${code}`)}
                      >
                        <span aria-hidden="true">✕</span> ${formatCount(n)} × code ${code}
                      </button>
                      <small> ${rsyncCodeText(code)}</small>
                    </li>`,
                )}
              </ul>`
        }
      </dd>
    </dl>
    <${Gauge} used=${site.bytesUsed as number} total=${site.bytesTotal as number} name=${site.name} />
    ${
      typeof site.scan_held === 'number' &&
      site.scan_held > 0 &&
      html`<p class="message notice">
        Scan held: ${formatCount(site.scan_held)} files looked missing (unmounted disk?)
      </p>`
    }
    ${site.error !== undefined && html`<p class="message notice">Agent error: ${String(site.error)}</p>`}
  </section>`;
}
