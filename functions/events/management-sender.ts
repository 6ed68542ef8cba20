/** Sends frames to WebSocket connections through API Gateway's management API (locally, the host's). */
import {
  ApiGatewayManagementApiClient,
  GoneException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import type { ConnectionSender } from '../core/ports.js';

const encoder = new TextEncoder();

/** `endpoint`: `https://<api id>.execute-api.<region>.amazonaws.com/<stage>`, or the local host's URL. */
export function managementSender(endpoint: string, local = false): ConnectionSender {
  const client = new ApiGatewayManagementApiClient({
    endpoint,
    maxAttempts: 3,
    // The local host accepts any credentials, as DynamoDB Local does.
    ...(local
      ? {
          region: process.env.AWS_REGION ?? 'local',
          credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        }
      : {}),
  });
  return {
    async send(connectionId, text) {
      try {
        await client.send(
          new PostToConnectionCommand({ ConnectionId: connectionId, Data: encoder.encode(text) }),
        );
        return true;
      } catch (error) {
        if (error instanceof GoneException) return false;
        throw error;
      }
    },
  };
}
