import { Option } from 'commander';
import { DEFAULT_ENGINE, ENGINES, type Engine, renderImages } from '../../src/diagram/engines/index.ts';
import { render as renderDot } from '../../src/diagram/dot.ts';
import { formatOfPath } from '../../src/diagram/formats.ts';
import { render as renderMermaid } from '../../src/diagram/mermaid.ts';
import { diffGraphs } from '../../src/diff/compare.ts';
import { formatDiff } from '../../src/diff/format.ts';
import { diffPicture } from '../../src/diff/picture.ts';
import { loadSide } from '../../src/diff/source.ts';
import { writeFileAtomic } from '../../src/io/atomic-write.ts';
import { extractGraph } from '../../src/model/extract.ts';
import { type Register, usageError } from '../io.ts';

const PICTURES = ['svg', 'png', 'mermaid', 'dot'] as const;
type Picture = (typeof PICTURES)[number];

interface DiffFlags {
  json?: boolean;
  format?: Picture;
  output?: string;
  engine: Engine;
}

export const registerDiff: Register = (program, { io, setExitCode }) => {
  program
    .command('diff')
    .description('show what changed between two versions of a lifecycle (states, transitions, guards, services, delays), coloured on a picture, and which persisted states cannot resume; exit 1 when they differ')
    .argument('<old>', 'built-in name, path/to/file.ts#exportName, or <git revision>:path/to/file.ts#exportName')
    .argument('<new>', 'the same kinds of reference')
    .option('--json', 'print the changes and the states that cannot resume as JSON')
    .addOption(new Option('-f, --format <format>', 'draw the new machine with the changes coloured (default: from the -o extension)').choices(PICTURES))
    .option('-o, --output <file>', 'write the picture to a file (atomically); the changes still go to stdout')
    .addOption(new Option('--engine <engine>', 'layout engine for svg/png').choices(Object.keys(ENGINES)).default(DEFAULT_ENGINE))
    .addHelpText(
      'after',
      `
A side is a machine reference or a file as git has it at a revision: <rev>:<path>[#export], the path relative
to the repository's top (or to the current folder with ./). The revision's file is loaded from a hidden temp
file beside the working tree's one, so its relative imports resolve; it is always removed.

A removed and an added state under the same parent that look alike (same kind, triggers, services and child
names) are listed as "renamed?", and their transitions compared as if the name had stayed. The picture is the
new machine with what is gone put back: added green, removed red and dashed, changed orange.

"cannot resume" lists the old machine's states a persisted run could not continue in on the new one: states it
no longer has, and invoking states whose service (src or invoke id) changed: XState drops the persisted child
(or, when the new machine still declares the old src, lets it run the old service).

Exit codes: 0 the machines are the same, 1 they differ (or an error), 2 a usage error.

Examples:
  $ lifecycle diff HEAD~1:machines/install.ts#installMachine install
  $ lifecycle diff main:src/checkout.ts ./src/checkout.ts --json
  $ lifecycle diff ./v1/deploy.ts#deployMachine ./v2/deploy.ts#deployMachine -o deploy-diff.svg
  $ lifecycle diff HEAD:machines/upgrade.ts upgrade -f mermaid > upgrade-diff.mmd`,
    )
    .action(async (oldRef: string, newRef: string, flags: DiffFlags) => {
      const format = pictureFormat(flags.format, flags.output);
      if (format && !flags.output && flags.json) throw usageError('--json and a picture on stdout do not mix: write the picture with -o file');
      if (format === 'png' && !flags.output && io.stdout.isTTY) throw usageError('png is binary: write it to a file with -o diff.png, or pipe stdout');
      const oldGraph = extractGraph((await loadSide(oldRef)).machine);
      const newGraph = extractGraph((await loadSide(newRef)).machine);
      const diff = diffGraphs(oldGraph, newGraph);
      setExitCode(diff.equal ? 0 : 1);
      if (format) {
        const data = await drawDiff(format, flags.engine, oldGraph, newGraph, diff);
        if (flags.output) writeFileAtomic(flags.output, data);
        else return void io.stdout.write(data);
      }
      const { marks: _marks, ...report } = diff;
      io.stdout.write(flags.json ? `${JSON.stringify({ old: oldRef, new: newRef, ...report }, null, 2)}\n` : formatDiff(diff, { old: oldRef, new: newRef }));
    });
};

async function drawDiff(format: Picture, engine: Engine, ...args: Parameters<typeof diffPicture>): Promise<string | Uint8Array> {
  const picture = diffPicture(...args);
  if (format === 'dot') return renderDot(picture.graph, { ...picture.dot, view: picture.view });
  if (format === 'mermaid') return renderMermaid(picture.graph, { ...picture.mermaid, view: picture.view });
  return (await renderImages([picture.graph], { format, engine, view: picture.view, dot: picture.dot, mermaid: picture.mermaid }))[0]!;
}

/** `-f`, else the picture `-o`'s extension names; a contradiction, or an extension that is no picture, is a usage error. */
function pictureFormat(flag: Picture | undefined, output: string | undefined): Picture | undefined {
  if (output === undefined) return flag;
  const fromPath = formatOfPath(output);
  if (flag && fromPath && flag !== fromPath) throw usageError(`-f ${flag} does not match the extension of ${output} (${fromPath}): drop -f, or name the file for ${flag}`);
  const format = flag ?? fromPath;
  if (!format || !(PICTURES as readonly string[]).includes(format)) {
    throw usageError(`cannot tell the picture format of ${output}: name it .svg, .png, .mmd or .dot, or pass -f ${PICTURES.join('|')}`);
  }
  return format as Picture;
}
