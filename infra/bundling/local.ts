/**
 * Asset options for a CDK asset built on this machine (never Docker) by one of the project's scripts:
 * `npx tsx <script> <args…> <asset folder>` (script relative to the project root), hashed by what
 * it wrote. The Docker
 * image only satisfies CDK's bundling options; the command (the script and its arguments) is part
 * of CDK's bundling cache key, so assets built by one script with other arguments stay apart.
 */
import { AssetHashType, DockerImage, type AssetOptions } from 'aws-cdk-lib';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

export function locallyBundled(projectRoot: string, script: string, args: string[] = []): AssetOptions {
  return {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      image: DockerImage.fromRegistry('local-bundling-only'),
      command: [script, ...args],
      local: {
        tryBundle(outputDir: string): boolean {
          const tsx = join(projectRoot, 'node_modules', 'tsx', 'dist', 'cli.mjs');
          const file = join(projectRoot, script);
          execFileSync(process.execPath, [tsx, file, ...args, outputDir], {
            cwd: projectRoot,
            stdio: 'inherit',
          });
          return true;
        },
      },
    },
  };
}
