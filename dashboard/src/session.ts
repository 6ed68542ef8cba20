/** Who is looking, and the page's ways to the tracker for them. */
import type { Api } from './api.js';
import type { UserClass } from './classes.js';
import type { LiveFeed } from './live.js';
import type { SiteNames } from './site-names.js';

export { allows, classOf, type UserClass } from './classes.js';

export interface Session {
  api: Api;
  live: LiveFeed;
  /** The site names, for columns. */
  siteNames: SiteNames;
  /** `@name`, or undefined in open mode. */
  userId: string | undefined;
  userClass: UserClass;
  /** Open mode: no sign-in, everyone is an admin. */
  open: boolean;
}
