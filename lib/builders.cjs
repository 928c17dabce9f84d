'use strict';
// Fluent builders. build() returns the builder's own object (same reference),
// as the original does. Security defaults are opt-in: restrictedPodSecurity().

const { CRD_API, CRD_EXTENSIONS_API } = require('./constants.cjs');
const { native } = require('./native.cjs');

const defaultPodTemplate = () => ({ spec: { containers: [{ name: 'sandbox' }] }, metadata: {} });

/** The pod template's first container, creating the template (and a container named 'sandbox') if needed. */
function firstContainer(spec) {
  spec.podTemplate ??= defaultPodTemplate();
  const pod = spec.podTemplate;
  pod.spec ??= { containers: [] };
  if (!Array.isArray(pod.spec.containers) || pod.spec.containers.length === 0) pod.spec.containers = [{ name: 'sandbox' }];
  return pod.spec.containers[0];
}

class MetadataBuilder {
  constructor(apiVersion, kind, name) { this.resource = { apiVersion, kind, metadata: { name }, spec: {} }; }
  namespace(ns) { this.resource.metadata.namespace = ns; return this; }
  labels(labels) { this.resource.metadata.labels = { ...this.resource.metadata.labels, ...labels }; return this; }
  build() { return this.resource; }
}

/** Sets `spec[key]` and returns the builder. */
const set = (builder, key, value) => ((builder.resource.spec[key] = value), builder);

/** Sandbox and template builders: the pod template. */
class PodTemplateBuilder extends MetadataBuilder {
  resources(limits) {
    const c = firstContainer(this.resource.spec);
    c.resources = { ...c.resources, limits: { cpu: limits.cpu, memory: limits.memory } };
    return this;
  }
  /** Opt-in: the core's restricted Pod Security profile on the pod template; explicit values are kept. */
  restrictedPodSecurity() {
    firstContainer(this.resource.spec);
    const pod = this.resource.spec.podTemplate;
    pod.spec = Object.assign(pod.spec ?? {}, JSON.parse(native.restrictPodSpec(JSON.stringify(pod.spec ?? {}))));
    return this;
  }
}

class SandboxBuilder extends PodTemplateBuilder {
  constructor(name) { super(CRD_API.apiVersion, 'Sandbox', name); }
  annotations(annotations) { this.resource.metadata.annotations = { ...this.resource.metadata.annotations, ...annotations }; return this; }
  image(image) { firstContainer(this.resource.spec).image = image; return this; }
  runtimeClass(name) { firstContainer(this.resource.spec); this.resource.spec.podTemplate.spec.runtimeClassName = name; return this; }
  addVolumeClaimTemplate(template) { (this.resource.spec.volumeClaimTemplates ??= []).push(template); return this; }
  shutdownTime(time) { return set(this, 'shutdownTime', time); }
  shutdownPolicy(policy) { return set(this, 'shutdownPolicy', policy); }
  replicas(n) { return set(this, 'replicas', n); }
  agentPaneContext({ projectId, taskId, sandboxId }) {
    return this.annotations({ 'agentpane.io/project-id': projectId, ...(taskId && { 'agentpane.io/task-id': taskId }), ...(sandboxId && { 'agentpane.io/sandbox-id': sandboxId }) });
  }
}

class SandboxTemplateBuilder extends PodTemplateBuilder {
  constructor(name) { super(CRD_EXTENSIONS_API.apiVersion, 'SandboxTemplate', name); }
  podTemplate(template) { return set(this, 'podTemplate', template); }
  image(image) {
    const containers = (this.resource.spec.podTemplate ??= defaultPodTemplate()).spec?.containers;
    if (Array.isArray(containers) && containers.length > 0) containers[0].image = image;
    return this;
  }
  networkPolicy(policy) { return set(this, 'networkPolicy', policy); }
  networkPolicyManagement(mode) { return set(this, 'networkPolicyManagement', mode); }
}

class SandboxClaimBuilder extends MetadataBuilder {
  constructor(name) { super(CRD_EXTENSIONS_API.apiVersion, 'SandboxClaim', name); }
  templateRef(name) { return set(this, 'sandboxTemplateRef', { name }); }
  lifecycle({ shutdownTime, shutdownPolicy }) {
    return set(this, 'lifecycle', { ...(shutdownTime !== undefined && { shutdownTime }), ...(shutdownPolicy !== undefined && { shutdownPolicy }) });
  }
}

class SandboxWarmPoolBuilder extends MetadataBuilder {
  constructor(name) { super(CRD_EXTENSIONS_API.apiVersion, 'SandboxWarmPool', name); }
  replicas(n) { return set(this, 'replicas', n); }
  sandboxTemplateRef(name) { return set(this, 'sandboxTemplateRef', { name }); }
}

module.exports = { SandboxBuilder, SandboxTemplateBuilder, SandboxClaimBuilder, SandboxWarmPoolBuilder };
