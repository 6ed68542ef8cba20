/**
 * The cloud's nudge of webhook delivery: the fan-out sends one small SQS message when it queues
 * deliveries, and the queue triggers the delivery function at once. The deliveries themselves live in
 * the deliveries table (retries reach ~3 days, beyond SQS's 15-minute delay limit); a schedule sweeps
 * it every minute, so a lost message only delays them.
 */
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';

export function sqsNudge(queueUrl: string): (count: number) => Promise<void> {
  const sqs = new SQSClient({});
  return async (count) => {
    await sqs.send(
      new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify({ deliveries: count }) }),
    );
  };
}
