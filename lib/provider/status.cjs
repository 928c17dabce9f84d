'use strict';
// Sandbox status as AgentPane sees it: the core's rule (the same one
// waitForReady uses), so the provider and a wait never disagree.

const { native } = require('../native.cjs');

/** 'idle' | 'creating' | 'running' | 'stopped' | 'error' */
function mapConditionsToStatus(sandbox) {
  return native.sandboxStatus(JSON.stringify(sandbox ?? {}));
}

module.exports = { mapConditionsToStatus };
