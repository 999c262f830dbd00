module.exports = require('@backstage/cli/config/eslint-factory')(__dirname, {
  testRules: {
    // The suites assert through named helpers (expectSucceeded, expectOneDaggerCall, ...).
    'jest/expect-expect': [
      'error',
      { assertFunctionNames: ['expect', 'expect*'] },
    ],
  },
});
