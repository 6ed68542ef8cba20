/** What every part of a running agent shares. */
import type { Logger } from 'pino';
import type { Node } from '../client/types.js';
import type { LocalIndex } from './local-index.js';
import type { Outbox } from './outbox.js';
import type { Remote, SshSettings } from './rsync.js';
import type { AgentTracker } from './tracker.js';

export interface AgentOptions {
  tracker: string;
  token?: string | undefined;
  /** The WebSocket URL when it is not `/ws` on the tracker's host (the cloud's WebSocketUrl output). */
  eventsUrl?: string | undefined;
  site: string;
  /** The volume root (absolute). */
  root: string;
  /** How other sites reach this volume, registered on its node. */
  url?: string | undefined;
  sshKey?: string | undefined;
  stateDir: string;
  once: boolean;
  logLevel: string;
  /** Share of the tracked files a scan may mark missing before it holds (0-1). */
  missingThreshold: number;
  /** Seconds between claim polls when no events arrive. */
  pollInterval: number;
  /** Seconds a claim leases its pairs for. */
  lease: number;
}

export interface AgentContext {
  options: AgentOptions;
  tracker: AgentTracker;
  log: Logger;
  index: LocalIndex;
  outbox: Outbox;
  /** The volume node and the global parameters as of the last heartbeat. */
  volume: Node;
  globals: Node | undefined;
  /** `<root>/.syncplanet/incoming`: where pulls are written before being renamed into place. */
  staging: string;
  ssh: SshSettings;
  /** Peers reached since the last `closeSshMasters` (their shared ssh connections), by `user@host:port`. */
  peers: Map<string, Remote>;
  signal: AbortSignal;
}
