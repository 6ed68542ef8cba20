/**
 * What a write may make of a volume or of the global parameters (DESIGN.md §3). The node as it would
 * be after the write is checked, so changing one switch is validated like a create. Pure.
 */
import { z } from 'zod';
import { badRequest } from './errors.js';
import type { Node, NodeBody } from './nodes.js';
import { HeartbeatInterval } from './sites.js';
import { GLOBAL_PARAMETERS_ID, isVolume, validateVolume } from './sync.js';

const text = z.string().max(65_536);

/** Volume keys the tracker reads besides sync.ts's VolumeKeys. */
const MoreVolumeKeys = z
  .object({
    /** Seconds between the agent's heartbeats; 3 missed ones show the agent "off". */
    heartbeatInterval: HeartbeatInterval,
    rsync_env: z.string().max(4096),
    notifiedEmails: z.string().max(4096),
  })
  .partial();

const GlobalParameterKeys = z
  .object({
    enableScans: z.boolean(),
    includePatternRules: text,
    excludePatternRules: text,
    excludedFiles: text,
    ignoreExistingFiles: z.boolean(),
    sleepBetweenScans: z
      .number()
      .min(0)
      .max(7 * 86_400),
    syncEverywhere: z.boolean(),
    rsaPublicKey: text,
  })
  .partial();

/** The node after setting `keys` (null values remove keys) on `existing`. */
export function afterWrite(id: string, keys: NodeBody, existing: Node | undefined): Node {
  const node: NodeBody = { ...existing, ...keys };
  for (const [key, value] of Object.entries(keys)) if (value === null) delete node[key];
  return { ...node, _id: id } as Node;
}

/**
 * Throws 400 when a write would leave a volume or the global parameters with a bad key, or turn a
 * volume into something else (removing its `name` or `url`). Other nodes are free-form.
 */
export function validateNodeWrite(id: string, keys: NodeBody, existing: Node | undefined): void {
  const after = afterWrite(id, keys, existing);
  if (id === GLOBAL_PARAMETERS_ID) return check(GlobalParameterKeys, after, GLOBAL_PARAMETERS_ID);
  if (isVolume(existing) && !isVolume(after)) {
    throw badRequest(`volume ${id}: name and url cannot be removed; delete the volume instead`);
  }
  if (!isVolume(after)) return;
  validateVolume(after);
  check(MoreVolumeKeys, after, `volume ${id}`);
}

function check(schema: z.ZodType, node: Node, what: string): void {
  const result = schema.safeParse(node);
  if (result.success) return;
  const issue = result.error.issues[0]!;
  throw badRequest(`${what}: ${issue.path.join('.')} ${issue.message}`);
}
