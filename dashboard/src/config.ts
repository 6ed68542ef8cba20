/**
 * Where the API is. Locally the page is served by the tracker itself (same origin: `/api/`, `/ws`);
 * a deployment may replace `config.json` next to the page with `{"apiUrl", "eventsUrl"}`.
 */
export interface DashboardConfig {
  /** `https://host/api/`; default: this page's origin. */
  apiUrl: string;
  /** The WebSocket URL when it is not `/ws` on the API's host. */
  eventsUrl?: string | undefined;
}

export async function loadConfig(): Promise<DashboardConfig> {
  const fallback: DashboardConfig = { apiUrl: new URL('/api/', location.href).href };
  try {
    const response = await fetch('config.json', { cache: 'no-cache' });
    if (!response.ok || !response.headers.get('content-type')?.includes('json')) return fallback;
    const value = (await response.json()) as Partial<DashboardConfig>;
    return {
      apiUrl: typeof value.apiUrl === 'string' && value.apiUrl ? value.apiUrl : fallback.apiUrl,
      eventsUrl: typeof value.eventsUrl === 'string' && value.eventsUrl ? value.eventsUrl : undefined,
    };
  } catch {
    return fallback;
  }
}
