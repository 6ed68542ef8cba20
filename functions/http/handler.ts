/** Lambda entry of the REST API. Open (no-auth) mode is for loopback only, so the cloud refuses it. */
import { loadConfig } from '../config.js';
import { API_TABLES, createTracker } from '../tracker.js';

const config = loadConfig(API_TABLES);
if (config.authMode === 'open') throw new Error('AUTH_MODE=open is only allowed on loopback, not in Lambda');

export const handler = createTracker(config).api;
