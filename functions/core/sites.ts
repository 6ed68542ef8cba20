/**
 * Sites (volumes) as the API shows them: the agent on or off from its heartbeats, capacity, and the
 * backlog the work queues report. Also the heartbeat body and the hooks the queues provide. Pure.
 */
import { z } from 'zod';
import type { JsonValue, Node } from './nodes.js';
import { SiteName, VolumeKeys, type PairState } from './sync.js';

/** Seconds between heartbeats unless the volume's `heartbeatInterval` says otherwise. */
const DEFAULT_HEARTBEAT_INTERVAL_S = 60;
/** An agent is "off" once this many intervals passed without a heartbeat (or it never sent one). */
const MISSED_HEARTBEATS = 3;

/** A site's figures from the work queues: pending pairs and bytes are required, the rest optional. */
export interface SiteBacklog {
  pending: number;
  /** Sum of the pending files' `file_size`. */
  bytes: number;
  /** `time` of the oldest pending file (ms epoch). */
  oldestPendingTime?: number;
  /** Pairs a transfer holds a lease on. */
  syncing?: number;
  /** Failed pairs waiting for their retry, by rsync exit code. */
  errors?: Record<string, number>;
}

/** One (file, site) pair of a site's queue, in queue order (`GET queue/<site>`). */
export interface QueuedPair {
  _id: string;
  sync_priority: number;
  time: number;
  file_size?: number;
  state: PairState;
  /** When a waiting pair's retry is due, or a lease ends (ms epoch). */
  dueAt?: number;
  /** rsync exit code of the last failure. */
  syncError?: number;
}

/** What the site routes read besides the registry (the context's `sync`); the tracker wires them. */
export interface SiteHooks {
  /** A site's backlog; sites and stats show none when absent. */
  backlog?: (site: string) => Promise<SiteBacklog>;
  /** The next `limit` pairs of a site's queue without leasing them. */
  queuePeek?: (site: string, limit: number) => Promise<QueuedPair[]>;
}

/** Seconds between an agent's heartbeats: a volume key, also sent with heartbeats. */
export const HeartbeatInterval = z.number().min(0.1).max(86_400);

const ms = z.number().int().min(0).max(1e15);
const bytes = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const fileCount = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const exitCode = z.number().int().min(-1).max(10_000);
const text = z.string().max(8192);

/** What an agent may report (the volume's agent keys, DESIGN.md §3); any other key is refused. */
const AgentKeys = z.object({
  agentStatus: z.enum(['on', 'off']),
  agentVersion: z.string().max(256),
  agentStartTime: ms,
  /** How other sites reach the volume (`--url`), registered by its agent. */
  url: VolumeKeys.shape.url.unwrap(),
  heartbeatInterval: HeartbeatInterval,
  last_scan: ms,
  scan_duration: z.number().min(0).max(1e9),
  last_emission: ms,
  last_reception: ms,
  exit_scan: exitCode,
  exit_emission: exitCode,
  exit_reception: exitCode,
  stderr_scan: text,
  stderr_emission: text,
  error: z.union([z.number(), text]),
  lastConnectionAttempt: ms,
  lastConnectionSuccess: ms,
  lastConnectionStatusChange: ms,
  bytesTotal: bytes,
  bytesUsed: bytes,
  bytesRemaining: bytes,
  /**
   * Files the last scan would have marked missing but held back: more than the agent's threshold share
   * of the volume looked gone (an unmounted disk looks empty, DESIGN.md §5).
   */
  scan_held: fileCount,
});

export const HeartbeatBody = z.strictObject({
  site: SiteName,
  ...AgentKeys.partial().shape,
});

const heartbeatIntervalS = (volume: Node): number =>
  typeof volume.heartbeatInterval === 'number' && volume.heartbeatInterval > 0
    ? volume.heartbeatInterval
    : DEFAULT_HEARTBEAT_INTERVAL_S;

const lastHeartbeat = (volume: Node) =>
  typeof volume.lastHeartbeat === 'number' ? volume.lastHeartbeat : null;

/** "off" when the last heartbeat is missing or older than 3 intervals, or the agent said so. */
export function agentStatusAt(volume: Node, now: number): 'on' | 'off' {
  const last = lastHeartbeat(volume);
  if (last === null || now - last > MISSED_HEARTBEATS * heartbeatIntervalS(volume) * 1000) return 'off';
  return volume.agentStatus === 'off' ? 'off' : 'on';
}

/** Volume keys `GET sites` shows as stored (when set). */
const SHOWN_KEYS = [
  'url',
  'enableDiscovery',
  'enableDiscoveryPackages',
  'enableDiscoveryUpdatedFiles',
  'enableDiscoveryDeletedFiles',
  'enableEmission',
  'enableReception',
  'syncAmountEmission',
  'syncAmountReception',
  'agentVersion',
  'agentStartTime',
  'last_scan',
  'scan_duration',
  'last_emission',
  'last_reception',
  'lastConnectionSuccess',
  'error',
  'bytesTotal',
  'bytesUsed',
  'bytesRemaining',
  'scan_held',
] as const;

/** One entry of `GET sites`: the shown keys that are set, the agent's status, and the backlog if known. */
export type SiteStatus = Partial<Record<(typeof SHOWN_KEYS)[number], JsonValue>> & {
  _id: string;
  name: string;
  agentStatus: 'on' | 'off';
  lastHeartbeat: number | null;
  /** Seconds (default 60). */
  heartbeatInterval: number;
  backlog?: { pending: number; bytes: number };
  errors?: Record<string, number>;
};

export function siteStatus(volume: Node, now: number, backlog?: SiteBacklog): SiteStatus {
  const shown = Object.fromEntries(
    SHOWN_KEYS.filter((k) => volume[k] !== undefined).map((k) => [k, volume[k]]),
  );
  return {
    _id: volume._id,
    name: volume.name as string,
    ...shown,
    agentStatus: agentStatusAt(volume, now),
    lastHeartbeat: lastHeartbeat(volume),
    heartbeatInterval: heartbeatIntervalS(volume),
    ...(backlog && { backlog: { pending: backlog.pending, bytes: backlog.bytes } }),
    ...(backlog?.errors && { errors: backlog.errors }),
  };
}

/** One site of `GET stats` (and of `/metrics`): figures only, no configuration. */
export interface SiteStats {
  site: string;
  _id: string;
  agentStatus: 'on' | 'off';
  lastHeartbeat: number | null;
  bytesTotal?: number;
  bytesUsed?: number;
  bytesRemaining?: number;
  /** Files the last scan held back instead of marking them missing (when the agent reported it). */
  scan_held?: number;
  pending?: number;
  bytes?: number;
  /** ms since the oldest pending file's `time`; null when nothing is pending. */
  oldestPendingAge?: number | null;
  syncing?: number;
  errors?: Record<string, number>;
}

export function siteStats(volume: Node, now: number, backlog?: SiteBacklog): SiteStats {
  const reported = (['bytesTotal', 'bytesUsed', 'bytesRemaining', 'scan_held'] as const).filter(
    (k) => typeof volume[k] === 'number',
  );
  const stats: SiteStats = {
    site: volume.name as string,
    _id: volume._id,
    agentStatus: agentStatusAt(volume, now),
    lastHeartbeat: lastHeartbeat(volume),
    ...Object.fromEntries(reported.map((k) => [k, volume[k]])),
  };
  if (!backlog) return stats;
  const oldest = backlog.oldestPendingTime;
  return {
    ...stats,
    pending: backlog.pending,
    bytes: backlog.bytes,
    oldestPendingAge: backlog.pending > 0 && oldest !== undefined ? Math.max(0, now - oldest) : null,
    syncing: backlog.syncing ?? 0,
    errors: backlog.errors ?? {},
  };
}
