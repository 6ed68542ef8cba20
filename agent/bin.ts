/** Entry of the bundled agent (`agent/dist/syncplanet.js`) and of `npx syncplanet`. */
import { main } from './main.js';

main().catch((error: Error) => {
  console.error(`syncplanet: ${error.message}`);
  process.exit(1);
});
