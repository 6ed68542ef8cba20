/** Lambda entry of the REST API. Open (no-auth) mode is for loopback only, so the cloud refuses it. */
import { loadConfig } from '../config.js';
import { createTracker } from '../tracker.js';
import { API_TABLES } from '../store/schema.js';

const config = loadConfig(API_TABLES);
if (config.authMode === 'open') throw new Error('AUTH_MODE=open is only allowed on loopback, not in Lambda');

export const handler = createTracker(config).api;
