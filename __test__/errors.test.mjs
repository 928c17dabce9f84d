import { assert, describe, it } from './helpers/harness.mjs';
import * as sdk from '../index.js';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

describe('error classes', () => {
  it('have the contract codes, statuses, messages and details', () => {
    const nf = new sdk.NotFoundError('sandboxes', 'x', 'ns');
    assert.equal(nf.name, 'NotFoundError');
    assert.equal(nf.code, 'NOT_FOUND');
    assert.equal(nf.statusCode, 404);
    assert.equal(nf.message, 'sandboxes "x" not found in namespace "ns"');
    assert.deepEqual(nf.details, { kind: 'sandboxes', name: 'x', namespace: 'ns' });
    assert.equal(new sdk.NotFoundError('sandboxes', 'x').message, 'sandboxes "x" not found');

    const ae = new sdk.AlreadyExistsError('Sandbox', 'y');
    assert.equal([ae.code, ae.statusCode, ae.message].join('|'), 'ALREADY_EXISTS|409|Sandbox "y" already exists');
    const te = new sdk.TimeoutError('exec ls', 50);
    assert.equal([te.code, te.statusCode, te.message].join('|'), 'TIMEOUT|408|exec ls timed out after 50ms');
    const ee = new sdk.ExecError('my-cmd --flag', 'boom', 3);
    assert.equal(ee.message, 'Exec failed for "my-cmd --flag": boom');
    assert.deepEqual([ee.code, ee.statusCode, ee.details], ['EXEC_FAILED', 500, { command: 'my-cmd --flag', exitCode: 3 }]);
    const cn = new sdk.ControllerNotInstalledError();
    assert.equal(cn.message, 'Agent Sandbox CRD controller is not installed in the cluster');
    assert.deepEqual([cn.code, cn.statusCode, cn.details], ['CONTROLLER_NOT_INSTALLED', 503, undefined]);
    const ke = new sdk.KubeConfigError('bad');
    assert.deepEqual([ke.code, ke.statusCode, ke.message], ['KUBECONFIG_ERROR', 500, 'bad']);
  });

  it('are Errors and AgentSandboxErrors, one identity for ESM and CommonJS', () => {
    const cjs = require('../index.cjs');
    for (const name of ['NotFoundError', 'AlreadyExistsError', 'TimeoutError', 'ExecError', 'ControllerNotInstalledError', 'KubeConfigError']) {
      assert.equal(sdk[name], cjs[name], name);
      assert.ok(sdk[name].prototype instanceof sdk.AgentSandboxError, name);
      assert.ok(sdk[name].prototype instanceof Error, name);
    }
    assert.equal(new sdk.AgentSandboxError('m', 'C', 418).name, 'AgentSandboxError');
  });
});

describe('constants', () => {
  it('keep the original values', () => {
    assert.deepEqual(sdk.CRD_API, { group: 'agents.x-k8s.io', version: 'v1alpha1', apiVersion: 'agents.x-k8s.io/v1alpha1' });
    assert.equal(sdk.CRD_EXTENSIONS_API.apiVersion, 'extensions.agents.x-k8s.io/v1alpha1');
    assert.equal(sdk.CRD_API_V1BETA1.apiVersion, 'agents.x-k8s.io/v1beta1');
    assert.equal(sdk.CRD_PLURALS.sandboxWarmPool, 'sandboxwarmpools');
    assert.equal(sdk.CRD_KINDS.sandboxClaim, 'SandboxClaim');
    assert.equal(sdk.CRD_ANNOTATIONS.pauseReason, 'agents.x-k8s.io/pause-reason');
    assert.equal(sdk.CRD_CONDITIONS.expired, 'SandboxExpired');
    assert.equal(sdk.CRD_LABELS.claimUid, 'agents.x-k8s.io/claim-uid');
  });

  it('export every runtime name of the contract', () => {
    const expected = [
      'applyBunCompat', 'loadKubeConfig', 'resolveContext', 'getClusterInfo', 'execInSandbox', 'execStreamInSandbox',
      'waitForReady', 'pause', 'resume', 'startWatch', 'AgentSandboxClient', 'CustomResourceCrud', 'SandboxBuilder',
      'SandboxTemplateBuilder', 'SandboxClaimBuilder', 'SandboxWarmPoolBuilder', 'CRD_API', 'CRD_EXTENSIONS_API',
      'CRD_PLURALS', 'CRD_KINDS', 'CRD_ANNOTATIONS', 'CRD_CONDITIONS', 'CRD_LABELS', 'AgentSandboxError', 'NotFoundError',
      'AlreadyExistsError', 'TimeoutError', 'ExecError', 'ControllerNotInstalledError', 'KubeConfigError',
      'podMetadataSchema', 'podTemplateSchema', 'embeddedObjectMetadataSchema', 'persistentVolumeClaimTemplateSchema',
      'shutdownPolicySchema', 'sandboxSpecSchema', 'sandboxStatusSchema', 'sandboxSchema', 'networkPolicySpecSchema',
      'networkPolicyManagementSchema', 'sandboxTemplateSpecSchema', 'sandboxTemplateStatusSchema', 'sandboxTemplateSchema',
      'sandboxTemplateRefSchema', 'lifecycleSchema', 'claimSandboxStatusSchema', 'sandboxClaimSpecSchema',
      'sandboxClaimStatusSchema', 'sandboxClaimSchema', 'sandboxWarmPoolSpecSchema', 'sandboxWarmPoolStatusSchema',
      'sandboxWarmPoolSchema',
    ];
    assert.equal(expected.length, 52);
    for (const name of expected) assert.ok(sdk[name] !== undefined, name);
  });
  it('K8sErrors: the provider\'s errors, with the messages the provider itself uses', () => {
    const cases = [
      [sdk.K8sErrors.POD_ALREADY_EXISTS('cs'), 'K8S_POD_ALREADY_EXISTS', 409, 'Pod already exists for codespace', { codespaceId: 'cs' }],
      [sdk.K8sErrors.POD_CREATION_FAILED('n', 'boom'), 'K8S_POD_CREATION_FAILED', 500, 'Failed to create pod n: boom', { name: 'n' }],
      [sdk.K8sErrors.POD_DELETION_FAILED('n', 'boom'), 'K8S_POD_DELETION_FAILED', 500, 'Failed to delete pod n: boom', { name: 'n' }],
      [sdk.K8sErrors.EXEC_FAILED('ls', 'gone'), 'K8S_EXEC_FAILED', 500, 'Command execution failed: gone', { command: 'ls' }],
      [sdk.K8sErrors.IMAGE_NOT_FOUND(' '), 'K8S_IMAGE_NOT_FOUND', 404, 'Image not found: " "', { image: ' ' }],
      [sdk.K8sErrors.TMUX_SESSION_ALREADY_EXISTS('s'), 'K8S_TMUX_SESSION_EXISTS', 409, 'tmux session already exists: s', { sessionName: 's' }],
    ];
    for (const [err, code, status, message, details] of cases) {
      assert.ok(err instanceof sdk.K8sError && err instanceof sdk.AgentSandboxError, code);
      assert.deepEqual([err.code, err.statusCode, err.message, err.details], [code, status, message, details]);
    }
    assert.equal(sdk.K8sErrors.NETWORK_ISOLATION_UNSUPPORTED('docker', 'no bridge').details.reason, 'no bridge');
  });
});

// The test suite's addon is a debug build, which has panicking test hooks
// (src/js_panic_probe.rs; release builds have none).
describe('a panic in native code', () => {
  const { native } = require('../lib/native.cjs');
  const { toError } = require('../lib/native-class.cjs');
  it('is a coded INTERNAL_ERROR, synchronous or asynchronous, and the process goes on', async () => {
    assert.equal(typeof native.panicProbe, 'function', 'the tests run on a debug build of the addon');
    let sync;
    try {
      native.panicProbe();
    } catch (err) {
      sync = toError(err, 'panicProbe');
    }
    const async = await native.panicProbeAsync().then(() => null, (err) => toError(err, 'panicProbeAsync'));
    for (const err of [sync, async]) {
      assert.ok(err instanceof sdk.AgentSandboxError, String(err));
      assert.deepEqual([err.code, err.statusCode], ['INTERNAL_ERROR', 500]);
      assert.match(err.message, /internal error: panic probe/);
    }
  });
});
