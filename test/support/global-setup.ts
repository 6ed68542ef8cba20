/** One DynamoDB Local for the whole test run; each test file gets its own tables on it. */
import type { TestProject } from 'vitest/node';
import { startDynamoDbLocal } from '../../local/dynamodb/launch.js';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamodbEndpoint: string;
  }
}

export default async function setup(project: TestProject) {
  const dynamo = await startDynamoDbLocal({});
  project.provide('dynamodbEndpoint', dynamo.endpoint);
  return () => dynamo.stop();
}
