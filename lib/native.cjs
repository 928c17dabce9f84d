'use strict';
// The one place that loads the native addon (built by `napi build` into
// native.cjs at the package root, which finds the platform's .node file).
const native = require('../native.cjs');

module.exports = { native };
