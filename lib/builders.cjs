'use strict';
// Fluent builders. build() returns the builder's own object (same reference),
// as the original does. Security defaults are opt-in: restrictedPodSecurity().

const { CRD_API, CRD_EXTENSIONS_API } = require('./constants.cjs');
const { native } = require('./native.cjs');

const DEFAULT_CONTAINER = 'sandbox';

function defaultPodTemplate() {
  return { spec: { containers: [{ name: DEFAULT_CONTAINER }] }, metadata: {} };
}

/** The pod template's first container, creating the template if needed. */
function firstContainer(spec) {
  if (!spec.podTemplate) spec.podTemplate = defaultPodTemplate();
  const pod = spec.podTemplate;
  if (!pod.spec) pod.spec = { containers: [] };
  if (!Array.isArray(pod.spec.containers) || pod.spec.containers.length === 0) {
    pod.spec.containers = [{ name: DEFAULT_CONTAINER }];
  }
  return pod.spec.containers[0];
}

/**
 * The restricted Pod Security profile on a pod template (the core's rule:
 * non-root, default seccomp, no privilege escalation, all capabilities
 * dropped, no service account token). Explicit values are kept.
 */
function applyRestrictedPodSecurity(podTemplate) {
  const restricted = JSON.parse(native.restrictPodSpec(JSON.stringify(podTemplate.spec ?? {})));
  podTemplate.spec = Object.assign(podTemplate.spec ?? {}, restricted);
}

class MetadataBuilder {
  constructor(apiVersion, kind, name) {
    this.resource = { apiVersion, kind, metadata: { name }, spec: {} };
  }
  namespace(ns) {
    this.resource.metadata.namespace = ns;
    return this;
  }
  labels(labels) {
    this.resource.metadata.labels = { ...this.resource.metadata.labels, ...labels };
    return this;
  }
  build() {
    return this.resource;
  }
}

class SandboxBuilder extends MetadataBuilder {
  constructor(name) {
    super(CRD_API.apiVersion, 'Sandbox', name);
  }
  annotations(annotations) {
    this.resource.metadata.annotations = { ...this.resource.metadata.annotations, ...annotations };
    return this;
  }
  image(image) {
    firstContainer(this.resource.spec).image = image;
    return this;
  }
  resources(limits) {
    const c = firstContainer(this.resource.spec);
    c.resources = { ...c.resources, limits: { cpu: limits.cpu, memory: limits.memory } };
    return this;
  }
  runtimeClass(name) {
    firstContainer(this.resource.spec);
    this.resource.spec.podTemplate.spec.runtimeClassName = name;
    return this;
  }
  addVolumeClaimTemplate(template) {
    (this.resource.spec.volumeClaimTemplates ??= []).push(template);
    return this;
  }
  shutdownTime(time) {
    this.resource.spec.shutdownTime = time;
    return this;
  }
  shutdownPolicy(policy) {
    this.resource.spec.shutdownPolicy = policy;
    return this;
  }
  replicas(n) {
    this.resource.spec.replicas = n;
    return this;
  }
  agentPaneContext(ctx) {
    const annotations = { 'agentpane.io/project-id': ctx.projectId };
    if (ctx.taskId) annotations['agentpane.io/task-id'] = ctx.taskId;
    if (ctx.sandboxId) annotations['agentpane.io/sandbox-id'] = ctx.sandboxId;
    return this.annotations(annotations);
  }
  /** Opt-in: the restricted Pod Security profile on the pod template. */
  restrictedPodSecurity() {
    firstContainer(this.resource.spec);
    applyRestrictedPodSecurity(this.resource.spec.podTemplate);
    return this;
  }
}

class SandboxTemplateBuilder extends MetadataBuilder {
  constructor(name) {
    super(CRD_EXTENSIONS_API.apiVersion, 'SandboxTemplate', name);
  }
  podTemplate(template) {
    this.resource.spec.podTemplate = template;
    return this;
  }
  image(image) {
    if (!this.resource.spec.podTemplate) this.resource.spec.podTemplate = defaultPodTemplate();
    const containers = this.resource.spec.podTemplate.spec?.containers;
    if (Array.isArray(containers) && containers.length > 0) containers[0].image = image;
    return this;
  }
  resources(limits) {
    const c = firstContainer(this.resource.spec);
    c.resources = { ...c.resources, limits: { cpu: limits.cpu, memory: limits.memory } };
    return this;
  }
  networkPolicy(policy) {
    this.resource.spec.networkPolicy = policy;
    return this;
  }
  networkPolicyManagement(mode) {
    this.resource.spec.networkPolicyManagement = mode;
    return this;
  }
  /** Opt-in: the restricted Pod Security profile on the pod template. */
  restrictedPodSecurity() {
    firstContainer(this.resource.spec);
    applyRestrictedPodSecurity(this.resource.spec.podTemplate);
    return this;
  }
}

class SandboxClaimBuilder extends MetadataBuilder {
  constructor(name) {
    super(CRD_EXTENSIONS_API.apiVersion, 'SandboxClaim', name);
  }
  templateRef(name) {
    this.resource.spec.sandboxTemplateRef = { name };
    return this;
  }
  lifecycle(options) {
    const lifecycle = {};
    if (options.shutdownTime !== undefined) lifecycle.shutdownTime = options.shutdownTime;
    if (options.shutdownPolicy !== undefined) lifecycle.shutdownPolicy = options.shutdownPolicy;
    this.resource.spec.lifecycle = lifecycle;
    return this;
  }
}

class SandboxWarmPoolBuilder extends MetadataBuilder {
  constructor(name) {
    super(CRD_EXTENSIONS_API.apiVersion, 'SandboxWarmPool', name);
  }
  replicas(n) {
    this.resource.spec.replicas = n;
    return this;
  }
  sandboxTemplateRef(name) {
    this.resource.spec.sandboxTemplateRef = { name };
    return this;
  }
}

module.exports = { SandboxBuilder, SandboxTemplateBuilder, SandboxClaimBuilder, SandboxWarmPoolBuilder };
