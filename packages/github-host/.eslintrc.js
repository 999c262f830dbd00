module.exports = require('@backstage/cli/config/eslint-factory')(__dirname, {
  rules: {
    // The REST router matches routes with `if (method === 'GET' && (m = /re/.exec(route)))`:
    // an assignment in a condition is allowed only inside its own parentheses, as here.
    'no-cond-assign': ['error', 'except-parens'],
  },
});
