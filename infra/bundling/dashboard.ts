/** `npx tsx infra/bundling/dashboard.ts <outdir>`: the dashboard built into a CDK asset folder. */
import { buildDashboard } from '../../dashboard/build.js';

const outdir = process.argv[2];
if (!outdir) throw new Error('usage: dashboard.ts <outdir>');
await buildDashboard({ outdir });
