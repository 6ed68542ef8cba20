/** Stands in for zod's locales index in Lambda bundles: the tracker only uses English messages. */
export { default as en } from '../../node_modules/zod/v4/locales/en.js';
