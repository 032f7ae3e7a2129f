/**
 * Renders one SVG in a process of its own (forked by src/imaging/svgIsolation.ts). librsvg cannot
 * be interrupted: a few thousand blurred shapes keep it busy for many minutes, past sharp's
 * timeout. In a separate process a render that runs too long, or that the user stops, is killed
 * without taking the engine or its queue with it.
 */
import { decodePixels } from './images';
import { exitWithParent, type SvgRenderRequest, type SvgRenderResult } from './svgIsolation';

// An engine or CLI that is killed mid-render must not leave librsvg running for minutes.
exitWithParent();

process.once('message', (request: SvgRenderRequest) => {
  const reply = (result: SvgRenderResult) => process.send!(result, () => process.exit(0));
  decodePixels(Buffer.from(request.svg), request.source, request.maxPixels, { density: request.density }).then(
    (pixels) => reply({ pixels: { data: pixels.data, width: pixels.width, height: pixels.height } }),
    (error: Error) => reply({ error: error.message }),
  );
});
