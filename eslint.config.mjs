// Lint, and the house plan the code keeps: which part of src/ may import which (the arrows of
// docs/architecture.md). A wrong import fails `npm test`.
import tseslint from 'typescript-eslint';

/** The parts of src/ and the parts each may import. The engine is imported by no one: it runs as its own program. */
export const LAYERS = {
  protocol: [],
  network: ['protocol'],
  prompts: ['protocol'],
  imaging: ['protocol'],
  modelFolder: ['protocol'],
  catalog: ['modelFolder', 'protocol'],
  store: ['catalog', 'modelFolder', 'network', 'protocol'],
  altText: ['modelFolder', 'prompts', 'protocol'],
  engine: ['imaging', 'modelFolder', 'catalog', 'prompts', 'protocol'],
  client: ['altText', 'protocol'],
  agentTools: ['client', 'altText', 'protocol'],
  remote: ['client', 'altText', 'imaging', 'prompts', 'network', 'protocol'],
  host: ['client', 'remote', 'altText', 'catalog', 'store', 'modelFolder', 'prompts', 'network', 'protocol'],
  features: ['host', 'agentTools', 'client', 'remote', 'altText', 'store', 'catalog', 'modelFolder', 'prompts', 'network', 'protocol'],
  cli: ['agentTools', 'client', 'remote', 'altText', 'store', 'catalog', 'modelFolder', 'prompts', 'network', 'protocol'],
};

function layerRule(layer, allowed) {
  const forbidden = Object.keys(LAYERS).filter((other) => other !== layer && !allowed.includes(other));
  return {
    files: [`src/${layer}/**/*.ts`],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: forbidden.map((other) => ({
            group: [`**/${other}/**`],
            message: `src/${layer} may not import src/${other}: see the allowed arrows in eslint.config.mjs and docs/architecture.md.`,
          })),
        },
      ],
    },
  };
}

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.cache/**', 'test/fixtures/**', 'bench/models/**', '**/*.cjs', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
    },
  },
  ...Object.entries(LAYERS).map(([layer, allowed]) => layerRule(layer, allowed)),
  {
    // The activation shell loads the features bundle by its type only (src/extension.ts).
    files: ['src/extension.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/features/**'], allowTypeImports: true, message: 'The activation shell loads the features bundle on demand; import its types only.' },
            ...['engine', 'store', 'catalog', 'client', 'remote', 'altText', 'modelFolder', 'imaging', 'cli', 'prompts'].map((other) => ({
              group: [`**/${other}/**`],
              message: `The activation shell stays light: it may not import src/${other}.`,
            })),
          ],
        },
      ],
    },
  },
  {
    // The webview is a browser page: it shares only the protocol with the rest.
    files: ['webview-ui/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: Object.keys(LAYERS)
            .filter((layer) => layer !== 'protocol')
            .map((layer) => ({ group: [`**/src/${layer}/**`], message: 'The webview is a browser page: it may import src/protocol only.' })),
        },
      ],
    },
  },
);
