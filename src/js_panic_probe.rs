//! Test hooks, in debug builds only (the test suite's addon): native calls
//! that panic, so that the tests can check a panic reaches JS as a coded
//! error and never aborts the process. Release builds have none.

use napi::Env;
use napi::bindgen_prelude::PromiseRaw;
use napi_derive::napi;

/// Panics in a synchronous native call.
#[napi(catch_unwind)]
pub fn panic_probe() {
    panic!("panic probe (a test hook)");
}

/// Panics inside the future of an asynchronous native call.
#[napi(ts_return_type = "Promise<void>")]
pub fn panic_probe_async(env: &Env) -> napi::Result<PromiseRaw<'_, ()>> {
    env.spawn_future(async {
        if std::hint::black_box(true) {
            panic!("panic probe (a test hook)");
        }
        Ok(())
    })
}
