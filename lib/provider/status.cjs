'use strict';
// Sandbox status as AgentPane sees it, from the Sandbox object (first match wins).

// Ready=False reasons that mean "still coming up": the original's, plus the
// upstream controller's provisioning reasons.
const CREATING_REASONS = new Set(['PodNotReady', 'ContainersNotReady', 'DependenciesNotReady', 'SandboxCreatePending']);

/** 'idle' | 'creating' | 'running' | 'stopped' | 'error' */
function mapConditionsToStatus(sandbox) {
  const spec = sandbox?.spec ?? {};
  if (spec.replicas === 0 || spec.operatingMode === 'Suspended') return 'idle';
  const ready = sandbox?.status?.conditions?.find((c) => c.type === 'Ready');
  if (!ready) return 'creating';
  if (ready.status === 'True') return 'running';
  if (ready.reason === 'SandboxExpired') return 'stopped';
  if (ready.reason === 'SandboxSuspended') return 'idle';
  if (CREATING_REASONS.has(ready.reason)) return 'creating';
  return 'error';
}

module.exports = { mapConditionsToStatus };
