//! `setLogger`: the core's `tracing` events (watch reconnects, relists and
//! backoff, provider events, failures worth a warning) as structured objects
//! handed to a JS function. Only this package's events are forwarded, and
//! fields whose names suggest a secret are redacted on the way out.

use std::sync::{Once, RwLock};
use std::time::SystemTime;

use napi::Status;
use napi::bindgen_prelude::Function;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;
use serde_json::{Map, Value, json};
use tracing::field::{Field, Visit};
use tracing::subscriber::Interest;
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::prelude::*;

use crate::js_error::invalid_argument;

/// Weak: a pending record never keeps the process alive.
type Sink = ThreadsafeFunction<Value, (), Value, Status, false, true>;

struct Logger {
    level: Level,
    sink: Sink,
}

static LOGGER: RwLock<Option<Logger>> = RwLock::new(None);
static INSTALL: Once = Once::new();

/// Targets of this package (the core and the binding); kube's and hyper's
/// own events stay out (they can carry request details).
fn ours(metadata: &Metadata<'_>) -> bool {
    let target = metadata.target();
    target.starts_with("agent_sandbox")
}

fn secret_name(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    [
        "token",
        "secret",
        "password",
        "authorization",
        "credential",
        "key",
        "cert",
        "env",
    ]
    .iter()
    .any(|s| name.contains(s))
}

struct Fields<'a>(&'a mut Map<String, Value>);

impl Fields<'_> {
    fn put(&mut self, field: &Field, value: Value) {
        let value = if secret_name(field.name()) {
            json!("[redacted]")
        } else {
            value
        };
        self.0.insert(field.name().to_string(), value);
    }
}

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.put(field, json!(format!("{value:?}")));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, json!(value));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, json!(value));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, json!(value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, json!(value));
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.put(field, json!(value));
    }
}

struct JsLayer;

impl<S: Subscriber> Layer<S> for JsLayer {
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        // Asked again per event: a logger can come, go or change level.
        if ours(metadata) {
            Interest::sometimes()
        } else {
            Interest::never()
        }
    }

    fn enabled(&self, metadata: &Metadata<'_>, _: Context<'_, S>) -> bool {
        let logger = LOGGER.read().unwrap_or_else(|p| p.into_inner());
        logger
            .as_ref()
            .is_some_and(|l| ours(metadata) && *metadata.level() <= l.level)
    }

    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let logger = LOGGER.read().unwrap_or_else(|p| p.into_inner());
        let Some(logger) = logger.as_ref() else {
            return;
        };
        let metadata = event.metadata();
        if !ours(metadata) || *metadata.level() > logger.level {
            return;
        }
        let mut fields = Map::new();
        event.record(&mut Fields(&mut fields));
        let message = fields.remove("message").unwrap_or(Value::Null);
        let time = crate::js_events::millis(SystemTime::now());
        let record = json!({
            "level": metadata.level().as_str().to_ascii_lowercase(),
            "target": metadata.target(),
            "message": message,
            "fields": fields,
            "time": time,
        });
        logger
            .sink
            .call(record, ThreadsafeFunctionCallMode::NonBlocking);
    }
}

fn level_of(name: &str) -> Option<Level> {
    match name {
        "error" => Some(Level::ERROR),
        "warn" => Some(Level::WARN),
        "info" => Some(Level::INFO),
        "debug" => Some(Level::DEBUG),
        "trace" => Some(Level::TRACE),
        _ => None,
    }
}

/// Sends the package's log records at `level` ('error' | 'warn' | 'info' |
/// 'debug' | 'trace'; default 'info') and above to `logger`; null stops.
#[napi(
    catch_unwind,
    ts_args_type = "logger: ((record: { level: string; target: string; message: string; fields: Record<string, unknown>; time: number }) => void) | null, level?: 'error' | 'warn' | 'info' | 'debug' | 'trace'"
)]
pub fn set_logger(
    logger: Option<Function<'_, Value, ()>>,
    level: Option<String>,
) -> napi::Result<()> {
    let level = match level.as_deref() {
        None => Level::INFO,
        Some(name) => level_of(name).ok_or_else(|| {
            invalid_argument(format!(
                "level must be 'error', 'warn', 'info', 'debug' or 'trace', got {name:?}"
            ))
        })?,
    };
    let next = match logger {
        Some(f) => Some(Logger {
            level,
            sink: f
                .build_threadsafe_function::<Value>()
                .callee_handled::<false>()
                .weak::<true>()
                .build()?,
        }),
        None => None,
    };
    INSTALL.call_once(|| {
        // A host that installed its own subscriber keeps it.
        let _ =
            tracing::subscriber::set_global_default(tracing_subscriber::registry().with(JsLayer));
    });
    *LOGGER.write().unwrap_or_else(|p| p.into_inner()) = next;
    tracing::callsite::rebuild_interest_cache();
    Ok(())
}
