import { type Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_ENGINE, ENGINES, type Engine } from '../../src/diagram/engines/index.ts';
import { DEFAULT_PNG_WIDTH, MAX_PNG_WIDTH } from '../../src/diagram/engines/png.ts';
import { FORMATS, type Format, formatOfPath, isTextFormat, TEXT_FORMATS } from '../../src/diagram/formats.ts';
import { renderImages } from '../../src/diagram/images.ts';
import type { ViewOptions } from '../../src/diagram/view.ts';
import { writeFileAtomic } from '../../src/io/atomic-write.ts';
import { extractGraph } from '../../src/model/extract.ts';
import { loadMachine } from '../../src/model/load.ts';
import { type Register, usageError } from '../io.ts';

/** The options every command that draws a picture takes. */
export interface PictureFlags {
  engine: Engine;
  width?: number;
  expand?: boolean | string;
  depth?: number;
  focus?: string;
}

const wholeNumber = (name: string, min: number, max: number) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be a whole number from ${min} to ${max}`);
  return n;
};

/** Adds --engine, --width, --expand and --depth to a command. */
export function addPictureOptions(command: Command, { images = true } = {}): Command {
  if (images) {
    command
      .addOption(new Option('--engine <engine>', 'layout engine for svg/png').choices(Object.keys(ENGINES)).default(DEFAULT_ENGINE))
      .addOption(new Option('--width <px>', `PNG width in pixels (default ${DEFAULT_PNG_WIDTH})`).argParser(wholeNumber('--width', 16, MAX_PNG_WIDTH)));
  }
  return command
    .option('--expand [states]', 'draw the inner states of steps: all of them, or the comma-separated states named')
    .addOption(new Option('--depth <n>', 'draw compound states deeper than n as one node').argParser(wholeNumber('--depth', 0, 99)))
    .option('--focus <state>', 'draw one state in full (steps inside it expanded) and the states around it collapsed');
}

/** The view the flags ask for: steps collapsed unless expanded, compound states cut at --depth. */
export function viewFromFlags(flags: Pick<PictureFlags, 'expand' | 'depth' | 'focus'>): ViewOptions {
  const expand = flags.expand === undefined ? undefined : flags.expand === true ? true : String(flags.expand).split(',').map((s) => s.trim()).filter(Boolean);
  return {
    ...(expand !== undefined ? { expand } : {}),
    ...(flags.depth !== undefined ? { depth: flags.depth } : {}),
    ...(flags.focus !== undefined ? { focus: flags.focus } : {}),
  };
}

export const registerDiagram: Register = (program, { io }) => {
  const command = program
    .command('diagram')
    .description('draw a lifecycle as Mermaid, DOT, JSON, a Markdown page, SVG or PNG (steps drawn as one state unless --expand)')
    .argument('<machine>', 'built-in name or path/to/file.ts#exportName')
    .addOption(new Option('-f, --format <format>', 'output format (default: from the -o extension, else mermaid)').choices(FORMATS))
    .option('-o, --output <file>', 'write to a file (atomically) instead of stdout');
  addPictureOptions(command).addHelpText(
    'after',
    `
Formats:
${Object.entries(TEXT_FORMATS).map(([name, f]) => `  ${name.padEnd(8)} ${f.description}`).join('\n')}
  svg      SVG laid out by the engine
  png      PNG of the same picture (needs -o unless stdout is a pipe)
Without -f the format follows the extension of -o (.mmd .dot .json .md .svg .png), else Mermaid.

Engines (svg, png):
${Object.entries(ENGINES).map(([name, d]) => `  ${name.padEnd(8)} ${d}${name === DEFAULT_ENGINE ? ' (default)' : ''}`).join('\n')}

A step (a state that runs a service with retries: declared with lifecycle-kit/steps, or recognised by its
attempt/backoff shape) is drawn as one state with its retry policy, e.g. "↻ 3× backoff 1s×2".

Examples:
  $ lifecycle diagram install
  $ lifecycle diagram install -f svg -o install.svg
  $ lifecycle diagram upgrade --width 2400 -o upgrade.png
  $ lifecycle diagram upgrade -f svg --expand downloading -o upgrade.svg
  $ lifecycle diagram operator -f svg --depth 1 --engine mermaid -o operator.svg
  $ lifecycle diagram install -f png --focus installing -o installing.png
  $ lifecycle diagram upgrade --format dot | dot -Tsvg > upgrade.svg
  $ lifecycle diagram ./machines/checkout.ts#checkoutMachine -f png -o checkout.png`,
  );
  command.action(async (ref: string, flags: PictureFlags & { format?: Format; output?: string }) => {
    const opts = { ...flags, format: outputFormat(flags.format, flags.output) };
    if (opts.format === 'png' && !opts.output && io.stdout.isTTY) {
      throw usageError('png is binary: write it to a file with -o diagram.png, or pipe stdout');
    }
    const { machine } = await loadMachine(ref);
    const graph = extractGraph(machine);
    const view = viewFromFlags(opts);
    const data: string | Uint8Array = isTextFormat(opts.format)
      ? TEXT_FORMATS[opts.format].render(graph, view)
      : (await renderImages([graph], opts.format, { engine: opts.engine, view, ...(opts.width ? { width: opts.width } : {}) }))[0]!;
    if (opts.output) writeFileAtomic(opts.output, data);
    else io.stdout.write(data);
  });
};

/**
 * The format to write: `-f`, else the one `-o`'s extension names (`-o x.png` alone must not put Mermaid text in a
 * .png), else Mermaid. A `-f` the extension contradicts is a usage error rather than a file misnamed.
 */
export function outputFormat(flag: Format | undefined, output: string | undefined): Format {
  const fromPath = output === undefined ? undefined : formatOfPath(output);
  if (flag && fromPath && flag !== fromPath) {
    throw usageError(`-f ${flag} does not match the extension of ${output} (${fromPath}): drop -f, or name the file for ${flag}`);
  }
  return flag ?? fromPath ?? 'mermaid';
}
