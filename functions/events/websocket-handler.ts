/** Lambda entry of the WebSocket API ($connect, $disconnect, subscribe, ping, $default). */
import { loadConfig } from '../config.js';
import { createWebSocket } from '../tracker.js';
import { WEBSOCKET_TABLES } from '../store/schema.js';
import { managementSender } from './management-sender.js';

const config = loadConfig(WEBSOCKET_TABLES);
if (config.authMode === 'open') throw new Error('AUTH_MODE=open is only allowed on loopback, not in Lambda');
if (!config.events.websocketEndpoint) throw new Error('WEBSOCKET_ENDPOINT is required by the WebSocket API');

export const handler = createWebSocket(config, managementSender(config.events.websocketEndpoint));
