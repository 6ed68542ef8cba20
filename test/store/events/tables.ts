/** Fresh tables on the shared DynamoDB Local for one test file (random prefix), and their client. */
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { createDocumentClient } from '../../../functions/store/dynamo-client.js';
import { localTableNames } from '../../../functions/store/schema.js';
import { ensureTables } from '../../../local/tables.js';

export function freshTables() {
  const db = createDocumentClient(inject('dynamodbEndpoint'));
  const names = localTableNames(`e${randomBytes(4).toString('hex')}`);
  return { db, names, ready: () => ensureTables(db, names) };
}
