/**
 * `GET metrics` (and `/metrics` locally): the per-site figures of `stats` in the Prometheus text
 * format, or OpenMetrics when the scraper asks for it. A fresh registry per scrape, so a Lambda
 * instance never reports another's figures.
 */
import { Gauge, Registry, type OpenMetricsContentType } from 'prom-client';
import type { OpContext, OpResult } from '../core/ops/context.js';
import { statsFigures } from '../core/ops/sites.js';
import type { SiteStats } from '../core/sites.js';

type Figure = (site: SiteStats) => number | undefined;

/** Gauges with one `site` label: name, help, and how to read the figure (undefined: not reported). */
const GAUGES: [string, string, Figure][] = [
  ['syncplanet_site_agent_up', 'Agent of the site is on (1) or off (0)', (s) => +(s.agentStatus === 'on')],
  [
    'syncplanet_site_last_heartbeat_seconds',
    'Time of the last heartbeat (s epoch)',
    (s) => (s.lastHeartbeat === null ? undefined : s.lastHeartbeat / 1000),
  ],
  ['syncplanet_site_pending_pairs', 'Files the site is waiting for', (s) => s.pending],
  ['syncplanet_site_pending_bytes', 'Bytes of the files the site is waiting for', (s) => s.bytes],
  [
    'syncplanet_site_oldest_pending_age_seconds',
    'Age of the oldest pending file (0 when none)',
    (s) => (s.oldestPendingAge === undefined ? undefined : (s.oldestPendingAge ?? 0) / 1000),
  ],
  ['syncplanet_site_syncing_pairs', 'Transfers to the site in progress', (s) => s.syncing],
  ['syncplanet_site_capacity_bytes', 'Size of the volume', (s) => s.bytesTotal],
  ['syncplanet_site_used_bytes', 'Bytes used on the volume', (s) => s.bytesUsed],
  ['syncplanet_site_free_bytes', 'Bytes left on the volume', (s) => s.bytesRemaining],
  [
    'syncplanet_site_scan_held_files',
    'Files the last scan held back instead of marking them missing (too large a share of the volume looked gone)',
    (s) => s.scan_held,
  ],
];

function newRegistry(openMetrics: boolean) {
  if (!openMetrics) return new Registry();
  const registry = new Registry<OpenMetricsContentType>();
  registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  return registry;
}

export async function renderMetrics(sites: readonly SiteStats[], openMetrics: boolean): Promise<string> {
  const registry = newRegistry(openMetrics);
  const gauge = (name: string, help: string, labelNames: string[]) =>
    new Gauge({ name, help, labelNames, registers: [registry] });
  gauge('syncplanet_sites', 'Volumes known to the tracker', []).set(sites.length);
  for (const [name, help, figure] of GAUGES) {
    const metric = gauge(name, help, ['site']);
    for (const site of sites) {
      const value = figure(site);
      if (value !== undefined) metric.set({ site: site.site }, value);
    }
  }
  const errors = gauge(
    'syncplanet_site_sync_errors',
    'Failed files waiting for a retry, by rsync exit code',
    ['site', 'code'],
  );
  for (const site of sites) {
    for (const [code, count] of Object.entries(site.errors ?? {}))
      errors.set({ site: site.site, code }, count);
  }
  return registry.metrics();
}

/** The route: OpenMetrics when `Accept` names it, else the Prometheus text format 0.0.4. */
export async function metrics(ctx: OpContext, accept: string | undefined): Promise<OpResult> {
  const openMetrics = (accept ?? '').includes('application/openmetrics-text');
  return {
    status: 200,
    body: await renderMetrics(await statsFigures(ctx), openMetrics),
    contentType: openMetrics ? Registry.OPENMETRICS_CONTENT_TYPE : Registry.PROMETHEUS_CONTENT_TYPE,
  };
}
