/**
 * Builds the example agent artifacts into a directory, with their sha256, for the tests and the demo:
 *
 *   npx tsx examples/agent/build-artifacts.ts <out-dir>
 *       agent-1.0.0.tar.gz, agent-1.1.0.tar.gz, and for fault tests agent-1.1.0-unhealthy.tar.gz (answers 503 on
 *       /health), agent-1.1.0-corrupt.tar.gz (a flipped byte; its listed sha256 is the good one's) and
 *       agent-1.1.0-escaping.tar.gz (a ../ entry and a symlink to /etc/passwd); artifacts.json lists them all.
 *   npx tsx examples/agent/build-artifacts.ts <out-dir> --version 1.2.0 --build-date 2024-05-01 [--unhealthy | --crash]
 *       one artifact of any version.
 */
import { resolve } from 'node:path';
import { buildArtifact, buildExampleArtifacts } from '../../src/services/upgrade/artifacts.ts';

async function main(argv: string[]): Promise<number> {
  const [out, ...rest] = argv;
  if (!out || out.startsWith('-')) {
    process.stderr.write('usage: build-artifacts.ts <out-dir> [--version <v> --build-date <iso> [--unhealthy|--crash]]\n');
    return 2;
  }
  const flag = (name: string) => {
    const i = rest.indexOf(name);
    return i >= 0 ? rest[i + 1] : undefined;
  };
  const version = flag('--version');
  if (version) {
    const built = await buildArtifact(resolve(out), {
      version,
      buildDate: flag('--build-date') ?? new Date().toISOString(),
      health: rest.includes('--unhealthy') ? 'unhealthy' : rest.includes('--crash') ? 'crash' : 'healthy',
    });
    process.stdout.write(`${built.sha256}  ${built.path}\n`);
    return 0;
  }
  const all = await buildExampleArtifacts(resolve(out));
  for (const [label, a] of Object.entries(all)) process.stdout.write(`${a.sha256}  ${a.path}  (${label}: ${a.version}, built ${a.buildDate})\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (error: Error) => {
    process.stderr.write(`build-artifacts: ${error.message}\n`);
    process.exitCode = 1;
  },
);
