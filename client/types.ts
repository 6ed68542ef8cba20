/** The shapes the tracker API sends and accepts, shared by the client and its users. */
import type { JsonValue, Node, NodeBody } from '../functions/core/nodes.js';
import type { QueuedPair, SiteStats, SiteStatus } from '../functions/core/sites.js';

export type { JsonValue, Node, NodeBody, QueuedPair, SiteStats, SiteStatus };

/** `POST signIn`: the user node (never its password hash) and a session token. */
export interface SignInResult {
  _id: string;
  user: Node;
  token: string;
}

/** An API token as listed: never its secret. */
export interface ApiToken {
  id: string;
  username: string;
  name: string;
  createdAt: number;
  /** Set on a site-scoped token. */
  site?: string;
}

/** The answer to `POST tokens`: the only time the token itself is shown. */
export interface NewApiToken extends ApiToken {
  token: string;
}

export interface MongoSearch {
  /** A MongoDB filter; `REGEX_<p>` and `RX_<p>_RX<flags>` strings are regular expressions. */
  query: Record<string, unknown>;
  sort?: Record<string, 1 | -1>;
  /** 0 = no limit. */
  limit?: number;
  skip?: number;
}

export interface MongoSearchResult {
  /** Every match, ignoring limit and skip. */
  count: number;
  ids: string[];
}

/** A file to publish: `_id` is its path from the project root (a trailing `/` marks a folder package). */
export type PublishInput = NodeBody & { _id: string; origin: string; comment?: string };

/** `GET stats`. */
export interface StatsReply {
  /** Server time (ms epoch) the figures were read at. */
  time: number;
  sites: SiteStats[];
}

/** `POST heartbeat`: the site and any agent keys (agentStatus, agentVersion, bytesTotal, …). */
export type HeartbeatInput = NodeBody & { site: string };

export type CommentInput = NodeBody & { '#parent': string | string[]; comment: string };
