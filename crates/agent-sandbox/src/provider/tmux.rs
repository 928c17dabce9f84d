//! tmux in a sandbox, through the sandbox's own `exec`: session names are
//! checked, targets match exactly (`=name`), and keys are sent as literal
//! text, so a name or a key string is never read as a pattern or a key name.

use super::command::{check_tmux_session_name, tmux_pane_target, tmux_session_target};
use super::{Sandbox, TmuxSession, command_failed, errors, iso_time};
use crate::error::Result;
use crate::exec::ExecOutput;

/// tmux's ways of saying that no server runs (3.x reports a missing socket
/// as "error connecting to ... No such file or directory").
fn no_server(stderr: &str) -> bool {
    stderr.contains("no server running")
        || stderr.contains("no sessions")
        || (stderr.contains("error connecting to") && stderr.contains("No such file or directory"))
}

async fn tmux<S: Sandbox + ?Sized>(sandbox: &S, args: &[&str]) -> Result<(i32, String, String)> {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let ExecOutput {
        exit_code,
        stdout,
        stderr,
    } = sandbox.exec("tmux", &args).await?;
    let text = |b: Vec<u8>| String::from_utf8_lossy(&b).trim().to_string();
    Ok((exit_code, text(stdout), text(stderr)))
}

pub(super) async fn create<S: Sandbox + ?Sized>(
    sandbox: &S,
    name: &str,
    task_id: Option<&str>,
) -> Result<TmuxSession> {
    check_tmux_session_name(name)?;
    // tmux refuses a duplicate itself ("duplicate session"); asking first
    // gives the caller the distinct code.
    let (code, out, _) = tmux(sandbox, &["list-sessions", "-F", "#{session_name}"]).await?;
    if code == 0 && out.lines().any(|l| l == name) {
        return Err(errors::tmux_session_exists(name));
    }
    let (code, _, err) = tmux(sandbox, &["new-session", "-d", "-s", name]).await?;
    if code != 0 {
        let why = if err.is_empty() {
            format!("exit {code}")
        } else {
            err
        };
        return Err(errors::tmux_creation_failed(name, &why));
    }
    Ok(TmuxSession {
        name: name.to_string(),
        sandbox_id: sandbox.id().to_string(),
        task_id: task_id.map(str::to_string),
        created_at: iso_time(std::time::SystemTime::now()),
        window_count: 1,
        attached: false,
    })
}

pub(super) async fn list<S: Sandbox + ?Sized>(sandbox: &S) -> Result<Vec<TmuxSession>> {
    let format = "#{session_name}:#{session_windows}:#{session_attached}";
    let (code, out, err) = tmux(sandbox, &["list-sessions", "-F", format]).await?;
    if code != 0 {
        if no_server(&err) {
            return Ok(Vec::new());
        }
        return Err(command_failed("tmux list-sessions", err, None));
    }
    let now = iso_time(std::time::SystemTime::now());
    Ok(out
        .lines()
        .filter(|l| !l.is_empty())
        .map(|line| {
            // The name may not hold ':', so the last two fields are the counts.
            let mut fields = line.rsplitn(3, ':');
            let attached = fields.next().unwrap_or_default();
            let windows = fields.next().unwrap_or_default();
            let name = fields.next().unwrap_or(line);
            TmuxSession {
                name: name.to_string(),
                sandbox_id: sandbox.id().to_string(),
                task_id: None,
                created_at: now.clone(),
                window_count: windows.parse().ok().filter(|n| *n > 0).unwrap_or(1),
                attached: attached == "1",
            }
        })
        .collect())
}

pub(super) async fn kill<S: Sandbox + ?Sized>(sandbox: &S, name: &str) -> Result<()> {
    check_tmux_session_name(name)?;
    let target = tmux_session_target(name);
    let (code, _, err) = tmux(sandbox, &["kill-session", "-t", &target]).await?;
    let missing = err.contains("session not found") || err.contains("can't find session");
    if code != 0 && !missing && !no_server(&err) {
        return Err(command_failed("tmux kill-session", err, None));
    }
    Ok(())
}

pub(super) async fn send_keys<S: Sandbox + ?Sized>(
    sandbox: &S,
    name: &str,
    keys: &str,
) -> Result<()> {
    check_tmux_session_name(name)?;
    let target = tmux_pane_target(name);
    // `-l`: the text as typed, never key names; Enter is a key of its own.
    let (code, _, err) = tmux(sandbox, &["send-keys", "-t", &target, "-l", "--", keys]).await?;
    if code != 0 {
        return Err(command_failed("tmux send-keys", err, None));
    }
    let (code, _, err) = tmux(sandbox, &["send-keys", "-t", &target, "Enter"]).await?;
    if code != 0 {
        return Err(command_failed("tmux send-keys", err, None));
    }
    Ok(())
}

pub(super) async fn capture<S: Sandbox + ?Sized>(
    sandbox: &S,
    name: &str,
    lines: u32,
) -> Result<String> {
    check_tmux_session_name(name)?;
    let target = tmux_pane_target(name);
    let start = format!("-{lines}");
    let (code, out, err) = tmux(
        sandbox,
        &["capture-pane", "-t", &target, "-p", "-S", &start],
    )
    .await?;
    if code != 0 {
        return Err(command_failed("tmux capture-pane", err, None));
    }
    Ok(out)
}
