/**
 * SVG → PNG with resvg (`@resvg/resvg-js`, a native module: no browser). Text is drawn with the system's fonts,
 * the ones Graphviz's layout was measured for.
 */

/** The width of a PNG when none is asked for, in pixels: a screen's width, sharp enough to read and not huge. */
export const DEFAULT_PNG_WIDTH = 1920;
/** The widest PNG made, in pixels. */
export const MAX_PNG_WIDTH = 8192;

export interface PngOptions {
  /** Width in pixels (height follows the aspect ratio); default {@link DEFAULT_PNG_WIDTH}, never above {@link MAX_PNG_WIDTH}. */
  width?: number;
}

/**
 * Rasterizes an SVG on white at the asked width.
 *
 * @example
 * writeFileSync('install.png', await svgToPng(svg, { width: 2400 }));
 */
export async function svgToPng(svg: string, options: PngOptions = {}): Promise<Uint8Array> {
  const width = options.width ?? DEFAULT_PNG_WIDTH;
  if (!Number.isInteger(width) || width < 16 || width > MAX_PNG_WIDTH) {
    throw new RangeError(`PNG width must be a whole number of pixels from 16 to ${MAX_PNG_WIDTH}, got ${width}`);
  }
  const { Resvg } = await import('@resvg/resvg-js');
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'width', value: width },
    background: 'white',
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' },
  });
  return resvg.render().asPng();
}
