import { defineConfig } from 'vitest/config';

/** `npm run test:container`: the agent's container image, built and run with podman (see agent/container/). */
export default defineConfig({
  test: {
    include: ['test/container/**/*.test.ts'],
    // DynamoDB Local, for tests that run an agent in the container against a local tracker.
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    fileParallelism: false, // image builds share podman's storage and the machine's 2 cores
    testTimeout: 180_000,
    hookTimeout: 30 * 60_000,
  },
});
