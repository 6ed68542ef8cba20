/**
 * The REST API handler: API Gateway event in, damas response out. The same function serves the
 * cloud (through `handler.ts`) and the local runtime.
 */
import middy from '@middy/core';
import httpCors from '@middy/http-cors';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { Authenticator } from '../auth/authenticator.js';
import {
  errorText,
  forbidden,
  methodNotAllowed,
  notFound,
  toTrackerError,
  unauthorized,
} from '../core/errors.js';
import { TIME_BUDGET_MS } from '../core/limits.js';
import { ANONYMOUS, canAccess, requiredClass, siteScopeRefusal } from '../core/permissions.js';
import type { NodeStore, SyncQueue } from '../core/ports.js';
import type { OpContext } from '../core/ops/context.js';
import type { SiteHooks } from '../core/sites.js';
import type { WebhookAdmin } from '../core/ops/webhooks.js';
import { bearerToken, toApiRequest, type ApiRequest } from './request.js';
import { ROUTES, type Route } from './routes.js';

export interface ApiDeps {
  store: NodeStore;
  auth: Authenticator;
  authorMode: boolean;
  webhooks?: WebhookAdmin;
  /** The site registry and the work queues' hooks (sites, stats, metrics, queue, heartbeat). */
  sites?: SiteHooks;
  /** The work queues: claims, results, re-planning tasks. */
  sync?: SyncQueue;
  /** How long a request may compute before searches give up (API Gateway waits 29 s). */
  timeBudgetMs?: number;
  now?: () => number;
  /** Where server-side failures are reported (with their cause chain). */
  log?: (message: string, error: unknown) => void;
}

export function createApiHandler(deps: ApiDeps) {
  const now = deps.now ?? Date.now;
  const log = deps.log ?? ((message: string, error: unknown) => console.error(message, error));

  async function answer(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
    let request: ApiRequest | undefined;
    let route: Route | undefined;
    try {
      request = toApiRequest(event);
      // CORS preflight (browser pages using the damas JS module): the cors middleware adds the headers.
      if (request.method === 'OPTIONS') return { statusCode: 204, headers: {}, body: '' };
      route = ROUTES.get(request.route);
      if (!route) throw notFound(`unknown route '${request.route}'`);
      if (!route.methods.includes(request.method)) {
        throw methodNotAllowed(`${request.method} is not allowed; use ${route.methods.join(' or ')}`);
      }
      const caller = route.operation ? await deps.auth.identify(bearerToken(request)) : null;
      if (route.operation) {
        if (!caller) throw unauthorized('authentication required');
        const scoped = siteScopeRefusal(caller, route.operation);
        if (scoped) throw forbidden(scoped);
        if (!canAccess(caller, route.operation)) {
          throw forbidden(`${route.name} requires class '${requiredClass(route.operation)}'`);
        }
      }
      const ctx: OpContext = {
        store: deps.store,
        caller: caller ?? ANONYMOUS,
        authorMode: deps.authorMode,
        now,
        deadline: now() + (deps.timeBudgetMs ?? TIME_BUDGET_MS),
        accounts: deps.auth,
        webhooks: deps.webhooks,
        sync: deps.sync,
        ...deps.sites,
      };
      const result = await route.run(ctx, request);
      if (result.contentType !== undefined) {
        return {
          statusCode: result.status,
          headers: { 'Content-Type': result.contentType },
          body: `${result.body}`,
        };
      }
      return json(result.status, result.body);
    } catch (thrown) {
      const error = toTrackerError(thrown);
      const name = route?.label ?? 'Request';
      if (!error.exposed) log(`${name} failed:`, thrown);
      const headers = error.code === 'unavailable' ? { ...TEXT, 'Retry-After': '1' } : TEXT;
      return { statusCode: error.status, headers, body: errorText(name, error) };
    }
  }

  return middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
    .use(
      httpCors({
        origin: '*',
        headers: 'Authorization,Content-Type',
        methods: 'GET,POST,PUT,DELETE,OPTIONS',
      }),
    )
    .handler(answer);
}

const JSON_TYPE = { 'Content-Type': 'application/json; charset=utf-8' };
const TEXT = { 'Content-Type': 'text/plain; charset=utf-8' };

function json(status: number, body: unknown): APIGatewayProxyResult {
  return { statusCode: status, headers: JSON_TYPE, body: JSON.stringify(body ?? null) };
}
