'use strict';
// The one place that loads the native addon (built by `napi build` into
// native.cjs at the package root, which finds the platform's .node file:
// next to it in a checkout, else the platform package). When none loads,
// import fails with one coded error naming this platform, the supported
// ones (package.json's napi.targets) and what to install.

const { platformOfTarget, thisPlatform } = require('./platform.cjs');

function unsupported(cause) {
  const supported = require('../package.json').napi.targets.map(platformOfTarget);
  const platform = thisPlatform();
  const why = String(cause?.message ?? cause).split('\n')[0];
  const message = supported.includes(platform)
    ? `@agentpane/agent-sandbox-sdk: no native binary for ${platform} could be loaded (${why}). Install @agentpane/agent-sandbox-sdk-${platform} ` +
      '(npm leaves optional dependencies out when the lockfile was made on another platform: remove node_modules and package-lock.json, then install again).'
    : `@agentpane/agent-sandbox-sdk does not support ${platform}; supported: ${supported.join(', ')}.`;
  const err = new Error(message, { cause });
  err.name = 'AgentSandboxError';
  err.code = 'UNSUPPORTED_PLATFORM';
  err.details = { platform, supported };
  return err;
}

let native;
try {
  native = require('../native.cjs');
} catch (cause) {
  throw unsupported(cause);
}

module.exports = { native };
