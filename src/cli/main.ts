import { availableParallelism } from 'node:os';
import { Command } from 'commander';
import { registerAskCommands } from './askCommand';
import { registerAltTextCommands } from './altTextCommand';
import { registerModelsCommand } from './modelsCommand';
import { registerPromptCommand } from './promptCommand';
import { registerChatCommand } from './chatCommand';
import { registerMcpCommand } from './mcpCommand';
import { registerFindCommand } from './findCommand';
import { EXIT } from './cliErrors';
import { exitCodeFor, report } from './engineSession';

const program = new Command('loupe')
  .description('Ask a local vision-language model about images. Runs offline once a model is installed.')
  .showHelpAfterError()
  .exitOverride((error) => process.exit(error.exitCode === 0 ? EXIT.ok : EXIT.badInput));

// `loupe ... | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(EXIT.ok);
  throw error;
});

// No editor shares the machine with a terminal run: the engine may use every core (the extension
// leaves one to VS Code; figures in docs/performance.md). LOUPE_ENGINE_THREADS still overrides it.
process.env.LOUPE_ENGINE_THREADS ??= String(availableParallelism());

registerAskCommands(program);
registerFindCommand(program);
registerPromptCommand(program);
registerChatCommand(program);
registerAltTextCommands(program);
registerModelsCommand(program);
registerMcpCommand(program);

// The top level: the one place a command's error becomes a message and an exit code.
program.parseAsync(process.argv).catch((error: unknown) => {
  report(error);
  process.exitCode = exitCodeFor(error);
});
