import { describe, expect, it } from 'vitest';
import { TrackerError } from '../../functions/core/errors.js';
import type { Node } from '../../functions/core/nodes.js';
import { afterWrite, validateNodeWrite } from '../../functions/core/volume-rules.js';

const volume: Node = { _id: 'vol-a', name: 'A', url: 'ssh://sync@a:22/data/', enableReception: true };

/** The 400 message of a refused write, or null when it passes. */
function refusal(id: string, keys: Record<string, unknown>, existing?: Node): string | null {
  try {
    validateNodeWrite(id, keys as Node, existing);
    return null;
  } catch (error) {
    expect(error).toBeInstanceOf(TrackerError);
    expect((error as TrackerError).status).toBe(400);
    return (error as Error).message;
  }
}

describe('afterWrite', () => {
  it('sets keys, removes null ones and keeps the id', () => {
    expect(afterWrite('vol-a', { enableReception: false, url: null }, volume)).toEqual({
      _id: 'vol-a',
      name: 'A',
      enableReception: false,
    });
  });
});

describe('validateNodeWrite', () => {
  it('accepts good volumes, new or changed, and leaves other nodes alone', () => {
    expect(refusal('vol-a', { name: 'A', url: 'ssh://sync@a:22/data/', syncAmountReception: 5 })).toBeNull();
    expect(refusal('vol-a', { enableEmission: false, heartbeatInterval: 5 }, volume)).toBeNull();
    expect(refusal('/a/file', { name: 'x y', url: 'nope' })).toBeNull(); // a path is never a volume
    expect(refusal('note', { name: 'x y' })).toBeNull(); // no url: not a volume
  });

  it('refuses bad volume keys with the key in the message', () => {
    expect(refusal('vol-a', { name: 'A B', url: 'ssh://sync@a/data/' })).toMatch(
      /volume vol-a: name must be/,
    );
    expect(refusal('vol-a', { name: 'A', url: 'http://a/data/' })).toMatch(/url must look like ssh:/);
    expect(refusal('vol-a', { enableReception: 'yes' }, volume)).toMatch(/enableReception/);
    expect(refusal('vol-a', { syncAmountReception: -1 }, volume)).toMatch(/syncAmountReception/);
    expect(refusal('vol-a', { heartbeatInterval: 0 }, volume)).toMatch(/heartbeatInterval/);
    expect(refusal('vol-a', { url: 'ssh://sync@b/x' }, volume)).toMatch(/url/); // no trailing slash
  });

  it('refuses removing the name or url of a volume', () => {
    expect(refusal('vol-a', { url: null }, volume)).toMatch(/cannot be removed/);
    expect(refusal('vol-a', { name: null }, volume)).toMatch(/cannot be removed/);
  });

  it('checks the global parameters lightly', () => {
    const id = 'rsyncGlobalParameters';
    expect(refusal(id, { enableScans: true, sleepBetweenScans: 60, excludedFiles: '' })).toBeNull();
    expect(refusal(id, { syncEverywhere: 'false' })).toMatch(/rsyncGlobalParameters: syncEverywhere/);
    expect(refusal(id, { sleepBetweenScans: -1 })).toMatch(/sleepBetweenScans/);
    expect(refusal(id, { rsaPublicKey: 5 })).toMatch(/rsaPublicKey/);
    expect(refusal(id, { custom: { any: 'thing' } })).toBeNull();
  });
});
