/** Entry of the bundled agent (`agent/dist/syncplanet.js`) and of `npx syncplanet`. */
import { main } from './main.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
main().catch((error: Error) => {
  console.error(`syncplanet: ${error.message}`);
  process.exit(1);
});
