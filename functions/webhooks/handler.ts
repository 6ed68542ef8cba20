/**
 * Lambda entry of webhook delivery, run by the fan-out's SQS nudges and by a one-minute schedule
 * (retries): sends what is due until little time is left (each send takes at most the webhook
 * timeout). A run that fails throws, so SQS retries the nudge and parks it in the dead-letter
 * queue after a few failures; the deliveries stay in the table either way.
 */
import type { Context } from 'aws-lambda';
import { loadConfig } from '../config.js';
import { createDeliveryWorker } from '../tracker.js';
import { DELIVERY_TABLES } from '../store/schema.js';

const config = loadConfig(DELIVERY_TABLES);
const worker = createDeliveryWorker(config);

export async function handler(_event: unknown, context: Context): Promise<{ delivered: number }> {
  let delivered = 0;
  while (context.getRemainingTimeInMillis() > config.events.webhookTimeoutMs + 5_000) {
    const handled = await worker.runOnce();
    if (handled === 0) break;
    delivered += handled;
  }
  return { delivered };
}
