/**
 * What the Files view lists, from the search box or the address: a folder (a path starting with
 * `/`), a damas query, or a search_mongo filter (JSON, on request); and the hash routes. Pure.
 */

export type Listing =
  | { kind: 'folder'; folder: string }
  | { kind: 'damas'; query: string }
  | { kind: 'mongo'; filter: Record<string, unknown> };

export type Route = { view: 'sites' } | { view: 'activity' } | { view: 'files'; listing: Listing };

export const ROOT: Listing = { kind: 'folder', folder: '/' };

/** The search box's text as a listing, or the reason it is not one. */
export function parseSearch(text: string, mongo: boolean): Listing | { error: string } {
  const value = text.trim();
  if (mongo) {
    let filter: unknown;
    try {
      filter = JSON.parse(value || '{}');
    } catch (error) {
      return { error: `the Mongo filter is not valid JSON: ${(error as Error).message}` };
    }
    if (typeof filter !== 'object' || filter === null || Array.isArray(filter))
      return { error: 'the Mongo filter must be a JSON object, such as {"origin": "paris"}' };
    return { kind: 'mongo', filter: filter as Record<string, unknown> };
  }
  if (value === '')
    return { error: 'type a folder path (such as /proj/) or a damas query (such as origin:paris)' };
  if (value.startsWith('/')) return { kind: 'folder', folder: asFolder(value) };
  return { kind: 'damas', query: value };
}

/** `/proj/shot01` → `/proj/shot01/`. */
export const asFolder = (path: string) => (path.endsWith('/') ? path : `${path}/`);

/** The text the search box shows for a listing. */
export function searchText(listing: Listing): string {
  if (listing.kind === 'folder') return listing.folder;
  if (listing.kind === 'damas') return listing.query;
  return JSON.stringify(listing.filter);
}

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** search_mongo filter of a folder's direct children (files and packages): the tracker's folder index. */
export const folderFilter = (folder: string) => ({ _id: { $regex: `^${escapeRegex(folder)}[^/]+/?$` } });

/** Everything below a folder, for its subfolders (a path-prefix index read; a scan for `/`). */
export const subtreeFilter = (folder: string) => ({ _id: { $regex: `^${escapeRegex(folder)}[^/]+/.` } });

/** The direct subfolders of `folder` among ids below it, sorted. */
export function subfolders(folder: string, ids: readonly string[]): string[] {
  const names = new Set<string>();
  for (const id of ids) {
    if (!id.startsWith(folder)) continue;
    const slash = id.indexOf('/', folder.length);
    // A package (`…/pkg/`) is a file of its folder, not a subfolder.
    if (slash > folder.length && slash < id.length - 1) names.add(id.slice(0, slash + 1));
  }
  return [...names].sort();
}

/** The folder holding an id (`/a/b.exr` → `/a/`; a package `/a/pkg/` → `/a/`). */
export function parentFolder(id: string): string {
  const path = id.endsWith('/') ? id.slice(0, -1) : id;
  return path.slice(0, path.lastIndexOf('/') + 1) || '/';
}

/** Breadcrumbs of a folder: `/a/b/` → [`/`, `/a/`, `/a/b/`]. */
export function ancestors(folder: string): string[] {
  const parts = folder.split('/').filter(Boolean);
  return ['/', ...parts.map((_, i) => `/${parts.slice(0, i + 1).join('/')}/`)];
}

/** `#/sites`, `#/activity`, `#/files/proj/shot01/`, `#/files?q=origin%3Aparis`, `#/files?mongo=…`. */
export function parseRoute(hash: string): Route {
  const text = hash.replace(/^#/, '');
  if (text.startsWith('/activity')) return { view: 'activity' };
  if (!text.startsWith('/files')) return { view: 'sites' };
  const rest = text.slice('/files'.length);
  try {
    if (rest.startsWith('?')) {
      const params = new URLSearchParams(rest.slice(1));
      const mongo = params.get('mongo');
      if (mongo !== null) {
        const parsed = parseSearch(mongo, true);
        if (!('error' in parsed)) return { view: 'files', listing: parsed };
      }
      const query = params.get('q');
      if (query) return { view: 'files', listing: { kind: 'damas', query } };
      return { view: 'files', listing: ROOT };
    }
    return { view: 'files', listing: { kind: 'folder', folder: asFolder(decodeURIComponent(rest) || '/') } };
  } catch {
    return { view: 'files', listing: ROOT };
  }
}

export function routeHash(route: Route): string {
  if (route.view !== 'files') return `#/${route.view}`;
  const { listing } = route;
  if (listing.kind === 'folder')
    return `#/files${encodeURI(listing.folder).replace(/[#?]/g, encodeURIComponent)}`;
  if (listing.kind === 'damas') return `#/files?q=${encodeURIComponent(listing.query)}`;
  return `#/files?mongo=${encodeURIComponent(JSON.stringify(listing.filter))}`;
}
