//! Tar archives for `AgentSandboxInstance.writeFile` / `readFile`.

use napi::bindgen_prelude::Buffer;
use napi_derive::napi;

use crate::js_error::IntoJs;

#[napi(object)]
pub struct JsTarFile {
    pub name: String,
    pub mode: u32,
    pub content: Buffer,
}

/// A USTAR archive of one file (uid/gid 1000). `name` is a plain file name of
/// at most 100 bytes.
#[napi(catch_unwind)]
pub fn tar_single_file(
    name: String,
    content: Buffer,
    mode: u32,
    mtime_seconds: u32,
) -> napi::Result<Buffer> {
    agent_sandbox::tar::single_file_archive(&name, &content, mode, u64::from(mtime_seconds))
        .into_js()
        .map(Buffer::from)
}

/// The first regular file of a tar archive.
#[napi(catch_unwind)]
pub fn tar_first_file(archive: Buffer) -> napi::Result<JsTarFile> {
    let f = agent_sandbox::tar::first_file(&archive).into_js()?;
    Ok(JsTarFile {
        name: f.name,
        mode: f.mode,
        content: f.content.into(),
    })
}
