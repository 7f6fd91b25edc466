import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The core's pure modules (no Node, no DOM) that the extension loads eagerly and the webviews
// bundle: value grammars (durations, memory sizes) and resource kinds. Everything else of
// environments/ stays behind core() in the extension and out of the webviews.
const SHARED_CORE = ['spec/units', 'kinds', 'share/editor-link'];
const NOT_SHARED = `(^|/)environments/(?!(${SHARED_CORE.join('|')})(\\.ts)?$)`;

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'examples/**/node_modules/**', 'test-output/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        require: 'readonly',
        __dirname: 'readonly',
        module: 'writable',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        URL: 'readonly',
        fetch: 'readonly',
        AbortController: 'readonly',
        AbortSignal: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.cjs', 'examples/**/*.js'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  // Layering (docs/architecture.md): the core never imports the editor; webviews never import Node or the editor.
  {
    files: ['environments/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [{ name: 'vscode', message: 'environments/ is the editor-free core.' }] },
      ],
    },
  },
  // Activation stays light: the extension reaches the core's code only through lazy.ts (core.js,
  // loaded on first use); anything else from environments/ or a heavy package is a type import,
  // except the pure modules shared with the webviews (SHARED_CORE).
  {
    files: ['extension/**/*.ts'],
    ignores: ['extension/core.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: NOT_SHARED,
              allowTypeImports: true,
              message: 'Load core code through core() (extension/lazy.ts) so activation stays light.',
            },
            {
              group: ['dockerode', 'yaml', 'ajv', 'chokidar', '@pulumi/*'],
              allowTypeImports: true,
              message: 'Load core code through core() (extension/lazy.ts) so activation stays light.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['webviews/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: ['vscode'],
          patterns: [
            { group: ['node:*', 'fs', 'path', 'child_process'], message: 'webviews run in a browser.' },
            // Types of the core's results may cross; its code may not, except the shared pure modules.
            {
              regex: NOT_SHARED,
              allowTypeImports: true,
              message: `webviews import from environments/ only the shared pure modules (${SHARED_CORE.map((m) => `environments/${m}.ts`).join(', ')}).`,
            },
          ],
        },
      ],
    },
  },
);
