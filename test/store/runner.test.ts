/** The request runner: at most MAX_IN_FLIGHT requests at once, capacity counted, errors mapped. */
import { describe, expect, it } from 'vitest';
import { TrackerError } from '../../functions/core/errors.js';
import { MAX_IN_FLIGHT, RequestRunner } from '../../functions/store/runner.js';

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

describe('RequestRunner', () => {
  it('caps the requests in flight', async () => {
    const runner = new RequestRunner();
    let inFlight = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: MAX_IN_FLIGHT * 3 }, () =>
        runner.run(async () => {
          most = Math.max(most, ++inFlight);
          await tick();
          inFlight--;
        }),
      ),
    );
    expect(most).toBe(MAX_IN_FLIGHT);
  });

  it('counts consumed capacity as reads or writes, one object or a list', async () => {
    const runner = new RequestRunner();
    await runner.read(async () => ({ ConsumedCapacity: { CapacityUnits: 1.5 } }));
    await runner.write(async () => ({ ConsumedCapacity: [{ CapacityUnits: 2 }, { CapacityUnits: 1 }] }));
    await runner.write(async () => ({}));
    await runner.run(async () => ({ ConsumedCapacity: { CapacityUnits: 9 } }));
    expect(runner.consumed).toEqual({ read: 1.5, write: 3 });
  });

  it('maps SDK errors but lets condition failures through', async () => {
    const runner = new RequestRunner();
    const throttled = Object.assign(new Error('slow down'), { name: 'ThrottlingException' });
    const error = await runner.read(() => Promise.reject(throttled)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TrackerError);
    expect((error as TrackerError).code).toBe('unavailable');
    expect((error as TrackerError).cause).toBe(throttled);
    const failed = Object.assign(new Error('no'), { name: 'ConditionalCheckFailedException' });
    await expect(runner.write(() => Promise.reject(failed))).rejects.toBe(failed);
  });
});
