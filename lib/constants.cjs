'use strict';
// The original SDK's constants (v1alpha1), plus v1beta1 counterparts: from the core, frozen.

const { native } = require('./native.cjs');

module.exports = Object.fromEntries(Object.entries(native.crdConstants()).map(([name, value]) => [name, Object.freeze(value)]));
