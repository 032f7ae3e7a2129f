/**
 * The default longest alt text, in characters: the settings default (package.json, checked by
 * test/unit/altText/documentKinds.test.ts), the CLI's `--max-length`, the prompt and the clean-up.
 * 125 is the length screen readers and WCAG guidance commonly cite for short alternatives.
 */
export const DEFAULT_ALT_MAX_LENGTH = 125;
