/**
 * The site names the Files view shows as columns, shared by the views: `GET sites` reads every
 * site's queue for its backlog, so it is asked once and then again only after a volume changes
 * (or when the Sites view, which needs the backlog anyway, has just read it).
 */
import type { SiteStatus } from '../../client/types.js';
import type { Api } from './api.js';
import type { LiveFeed } from './live.js';

export class SiteNames {
  private names: Promise<string[]> | undefined;

  constructor(
    private readonly api: Api,
    live: LiveFeed,
  ) {
    // A volume (a node with a `name` and a `url`, not a path) changed: ask again next time.
    live.listen((event) => {
      const node = event.node;
      if (!event._id.startsWith('/') && (!node || (typeof node.name === 'string' && 'url' in node)))
        this.names = undefined;
    });
  }

  get(): Promise<string[]> {
    this.names ??= this.api.run((c) => c.sites()).then(namesOf);
    this.names.catch(() => (this.names = undefined));
    return this.names;
  }

  /** What the Sites view just read. */
  update(sites: SiteStatus[]): void {
    this.names = Promise.resolve(namesOf(sites));
  }
}

const namesOf = (sites: SiteStatus[]) => sites.map((s) => s.name).sort();
