/** Lambda entry of the nodes-stream fan-out (an event source mapping with ReportBatchItemFailures). */
import { loadConfig } from '../config.js';
import { createFanout } from '../tracker.js';
import { FANOUT_TABLES } from '../store/schema.js';
import { sqsNudge } from '../webhooks/sqs-nudge.js';
import { managementSender } from './management-sender.js';

const config = loadConfig(FANOUT_TABLES);
const { websocketEndpoint, webhookQueueUrl } = config.events;
if (!websocketEndpoint) throw new Error('WEBSOCKET_ENDPOINT is required by the fan-out');

export const handler = createFanout(
  config,
  managementSender(websocketEndpoint),
  undefined,
  webhookQueueUrl ? sqsNudge(webhookQueueUrl) : undefined,
);
