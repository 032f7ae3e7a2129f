import { Command } from 'commander';
import { registerAskCommands } from './askCommand';
import { registerAltTextCommands } from './altTextCommand';
import { registerModelsCommand } from './modelsCommand';
import { EXIT } from './engineSession';

const program = new Command('loupe')
  .description('Ask a local vision-language model about images. Runs offline once a model is installed.')
  .showHelpAfterError()
  .exitOverride((error) => process.exit(error.exitCode === 0 ? EXIT.ok : EXIT.badInput));

registerAskCommands(program);
registerAltTextCommands(program);
registerModelsCommand(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`loupe: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(EXIT.engineFailure);
});
