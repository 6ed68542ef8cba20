/**
 * The cloud fan-out's nudge of webhook delivery: the real SQS client sends one SendMessage to the
 * queue, here answered by a small server on 127.0.0.1 speaking SQS's JSON protocol (no AWS here).
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sqsNudge } from '../../functions/webhooks/sqs-nudge.js';

interface Received {
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

let server: Server;
let queueUrl: string;
const received: Received[] = [];
const ENV = { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' };
const saved = Object.fromEntries(Object.keys(ENV).map((key) => [key, process.env[key]]));

beforeAll(async () => {
  server = createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
    req.on('end', () => {
      const body = JSON.parse(text) as Record<string, unknown>;
      received.push({ headers: req.headers, body });
      // The client checks the digest of what the queue stored against what it sent.
      const md5 = createHash('md5').update(String(body.MessageBody)).digest('hex');
      res.writeHead(200, { 'Content-Type': 'application/x-amz-json-1.0' });
      res.end(JSON.stringify({ MessageId: `m-${received.length}`, MD5OfMessageBody: md5 }));
    });
  }).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  // The SQS client sends to the queue URL's host (as it does to sqs.<region>.amazonaws.com).
  queueUrl = `http://127.0.0.1:${port}/123456789012/tracker-webhooks`;
  Object.assign(process.env, ENV);
});

afterAll(async () => {
  for (const [key, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  server?.close();
});

it('sends one SendMessage with the count of deliveries queued, to the given queue', async () => {
  const nudge = sqsNudge(queueUrl);
  await nudge(3);
  await nudge(1);
  expect(received.map((r) => r.headers['x-amz-target'])).toEqual([
    'AmazonSQS.SendMessage',
    'AmazonSQS.SendMessage',
  ]);
  expect(received.map((r) => r.body)).toEqual([
    { QueueUrl: queueUrl, MessageBody: '{"deliveries":3}' },
    { QueueUrl: queueUrl, MessageBody: '{"deliveries":1}' },
  ]);
});
