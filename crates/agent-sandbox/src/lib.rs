//! A Rust client for the kubernetes-sigs Agent Sandbox API.
//!
//! - [`config`]: finding and loading kubeconfigs;
//! - [`proxy`]: which proxy reaches the API server (kubeconfig, environment);
//! - [`client`]: CRUD with version discovery and v1alpha1/v1beta1 conversion;
//! - [`types`]: typed objects of the four kinds in both versions (lossless);
//! - [`resources`]: groups, versions, kinds and the names the controller uses;
//! - [`conversion`]: the field mapping between API versions;
//! - [`exec`]: commands in a Sandbox over the streaming protocol;
//! - [`watch`]: resumable watches with relist on 410;
//! - [`logs`]: container logs as lines;
//! - [`port_forward`]: a sandbox's port on a local listener;
//! - [`tar`]: single-file archives for moving files over exec;
//! - [`schema`]: structural validation with the original SDK's rules;
//! - [`lifecycle`]: waiting for readiness with a watch;
//! - [`health`]: cluster, CRD and controller checks;
//! - [`provider`]: AgentPane's sandbox providers (Kubernetes) behind one trait;
//! - [`error`]: one error type with stable codes.

pub mod cancel;
pub mod client;
pub mod config;
pub mod conversion;
pub mod docker;
pub mod error;
pub mod exec;
pub mod health;
pub mod lifecycle;
pub mod logs;
pub mod pod_security;
pub mod port_forward;
pub mod provider;
pub mod proxy;
mod read_ahead;
pub mod reflector;
pub mod resources;
pub mod schema;
pub mod tar;
mod transport;
pub mod types;
pub mod watch;

pub use client::{Client, ListOptions, Propagation, ServedVersions, VersionPolicy};
pub use config::{KubeconfigOptions, LoadedKubeconfig, load_kubeconfig};
pub use error::{Error, ErrorCode, Result};
pub use resources::{Kind, ResourceRef, Version};
