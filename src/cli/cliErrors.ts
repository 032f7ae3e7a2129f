/** Exit codes the CLI promises: scripts and CI branch on them. 130 = 128 + SIGINT, as shells report Ctrl-C. */
export const EXIT = { ok: 0, engineFailure: 1, badInput: 2, interrupted: 130 } as const;

/**
 * A problem the user fixes by changing the command or its input. Helpers throw it; only the
 * command's top level (src/cli/engineSession.ts `withEngine`, src/cli/main.ts) reports it and
 * sets the exit code, so nothing below exits the process.
 */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.badInput,
    /** Printed as it is (a screen of text), not as one "loupe: …" line. */
    readonly plain = false,
  ) {
    super(message);
  }
}
