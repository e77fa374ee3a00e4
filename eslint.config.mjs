// Lint and format rules: neostandard (the "standard" style on ESLint's flat config, TypeScript-aware),
// which is the style the code already had: no semicolons, a space before parentheses, 2-space indent.
// `npm run lint` checks, `npm run format` applies the fixable rules (layout, spacing, quotes).
import neostandard from 'neostandard'

export default [
  ...neostandard({
    ts: true,
    env: ['mocha'],
    ignores: ['dist/**', 'node_modules/**', 'examples/**', '.node-red-dev/**', 'test-results/**', 'profiles/**']
  }),
  {
    rules: {
      // The house limit: no line over 120 columns, strings, comments and URLs included.
      '@stylistic/max-len': ['error', { code: 120, tabWidth: 2 }],
      // `void promise` marks a promise deliberately not awaited (its errors are handled inside);
      // `void name` to hush an unused variable is not allowed: remove the name instead.
      'no-void': ['error', { allowAsStatement: true }],
      'no-restricted-syntax': ['error', {
        selector: 'ExpressionStatement > UnaryExpression[operator="void"] > Identifier.argument',
        message: 'Remove the unused name instead of hushing it with void.'
      }],
      // FIX delimits fields with SOH (\x01): control characters in regular expressions are on purpose here.
      'no-control-regex': 'off',
      // Async loops here wait on a flag that another task sets (close(), a signal handler, a callback);
      // the rule cannot see those writes and reports every such loop.
      'no-unmodified-loop-condition': 'off'
    }
  },
  {
    // Functions in these files run inside the editor page (page.evaluate), where RED is a global.
    files: ['scripts/test-browser.js', 'scripts/browser-*.js'],
    languageOptions: { globals: { RED: 'readonly', $: 'readonly', getComputedStyle: 'readonly' } }
  }
]
