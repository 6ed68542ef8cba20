/** The DynamoDB document client, created once per process with the marshalling the store relies on. */
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export function createDocumentClient(endpoint?: string): DynamoDBDocumentClient {
  // Lambda runs Node 22+; on a Node 20 laptop the SDK's upgrade notice is noise in every command.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const config: DynamoDBClientConfig = { maxAttempts: 5 };
  if (endpoint) {
    // DynamoDB Local accepts any credentials; region only has to be syntactically valid.
    config.endpoint = endpoint;
    config.region = process.env.AWS_REGION ?? 'local';
    config.credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
  }
  return DynamoDBDocumentClient.from(new DynamoDBClient(config), {
    // Nodes are plain JSON objects; one with a `constructor` key must not be mistaken for a class instance.
    marshallOptions: {
      removeUndefinedValues: true,
      allowImpreciseNumbers: true,
      convertClassInstanceToMap: true,
    },
    // JSON numbers are doubles: read them back as doubles, never as BigInt.
    unmarshallOptions: { wrapNumbers: (value: string) => Number(value) },
  });
}
