/** The handler of every command of the table (a missing one is a type error). */
import type { Handler } from '../context.js';
import type { CommandName } from '../table.js';
import { AUTH_HANDLERS } from './auth.js';
import { CRUD_HANDLERS } from './crud.js';
import { FILE_HANDLERS } from './files.js';
import { SITE_HANDLERS } from './sites.js';
import { status } from './status.js';
import { watch } from './watch.js';

export const HANDLERS: Record<CommandName, Handler> = {
  ...CRUD_HANDLERS,
  ...FILE_HANDLERS,
  ...AUTH_HANDLERS,
  ...SITE_HANDLERS,
  status,
  watch,
};
