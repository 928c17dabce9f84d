'use strict';
// CommonJS entry.
module.exports = require('./lib/index.cjs');
