import { EngineService } from './engineService';
import { connectToHost } from './transport';

new EngineService(connectToHost()).start();
