/**
 * Lambda entry of the work queues' re-planning, run every minute by a schedule: re-plans pages of
 * the oldest unfinished task while time is left (progress is saved per page, so the next run
 * resumes where this one stopped).
 */
import type { Context } from 'aws-lambda';
import { loadConfig } from '../config.js';
import { REPLAN_TABLES } from '../store/schema.js';
import { createReplanWorker } from '../tracker.js';

/** A page of 200 nodes takes well under this; stop before the function's timeout. */
const PAGE_BUDGET_MS = 20_000;

const worker = createReplanWorker(loadConfig(REPLAN_TABLES));

export async function handler(_event: unknown, context: Context): Promise<{ pages: number }> {
  let pages = 0;
  while (context.getRemainingTimeInMillis() > PAGE_BUDGET_MS && (await worker.runOnce())) pages++;
  return { pages };
}
