import { Option } from 'commander';
import { FORMATS, type Format, isTextFormat, TEXT_FORMATS } from '../../src/diagram/formats.ts';
import { renderImages } from '../../src/diagram/images.ts';
import { writeFileAtomic } from '../../src/io/atomic-write.ts';
import { extractGraph } from '../../src/model/extract.ts';
import { loadMachine } from '../../src/model/load.ts';
import { type Register, usageError } from '../io.ts';

export const registerDiagram: Register = (program, { io }) => {
  program
    .command('diagram')
    .description('draw a lifecycle as Mermaid, DOT, JSON, a Markdown page, SVG or PNG')
    .argument('<machine>', 'built-in name or path/to/file.ts#exportName')
    .addOption(new Option('-f, --format <format>', 'output format').choices(FORMATS).default('mermaid'))
    .option('-o, --output <file>', 'write to a file (atomically) instead of stdout')
    .addHelpText(
      'after',
      `
Formats:
${Object.entries(TEXT_FORMATS).map(([name, f]) => `  ${name.padEnd(8)} ${f.description}`).join('\n')}
  svg      SVG rendered by Mermaid in headless Chromium
  png      PNG rendered by Mermaid in headless Chromium (needs -o unless stdout is a pipe)

Examples:
  $ lifecycle diagram install
  $ lifecycle diagram upgrade --format dot | dot -Tsvg > upgrade.svg
  $ lifecycle diagram ./machines/checkout.ts#checkoutMachine -f png -o checkout.png`,
    )
    .action(async (ref: string, opts: { format: Format; output?: string }) => {
      if (opts.format === 'png' && !opts.output && io.stdout.isTTY) {
        throw usageError('png is binary: write it to a file with -o diagram.png, or pipe stdout');
      }
      const { machine } = await loadMachine(ref);
      const graph = extractGraph(machine);
      const data: string | Uint8Array = isTextFormat(opts.format)
        ? TEXT_FORMATS[opts.format].render(graph)
        : (await renderImages([graph], opts.format))[0];
      if (opts.output) writeFileAtomic(opts.output, data);
      else io.stdout.write(data);
    });
};
