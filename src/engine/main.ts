import { EngineService } from './engineService';
import { connectToHost } from './transport';
import { exitWithParent } from '../imaging/svgIsolation';

// As a child process (loupe.engine.isolation: process): the engine, and its SVG renderers, end with
// the extension host, even while onnxruntime is busy (a no-op in a worker thread).
exitWithParent();

new EngineService(connectToHost()).start();
