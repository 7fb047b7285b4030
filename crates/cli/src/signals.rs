//! Stopping cleanly on Ctrl-C, SIGTERM and SIGHUP while a throwaway
//! database exists.

use crate::CliError;
use crate::exit::{ExitStatus, Signal};

/// Runs a sandbox command. Ctrl-C, SIGTERM (what `timeout`, CI
/// cancellation and `docker stop` send) and SIGHUP drop it: the Alembic
/// child is killed and the sandbox removed in their Drop. The exit status is
/// [`ExitStatus::Stopped`].
pub(crate) async fn with_ctrl_c<F>(f: F) -> Result<ExitStatus, CliError>
where
    F: std::future::Future<Output = Result<ExitStatus, CliError>>,
{
    use tokio::signal::unix::{SignalKind, signal};
    let stopped = |what: &str, signal: Signal| {
        CliError::stopped(
            format!("{what}; the throwaway database was removed"),
            signal,
        )
    };
    let (Ok(mut term), Ok(mut hangup)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::hangup()),
    ) else {
        return tokio::select! {
            r = f => r,
            _ = tokio::signal::ctrl_c() => Err(stopped("interrupted", Signal::Interrupt)),
        };
    };
    tokio::select! {
        r = f => r,
        _ = tokio::signal::ctrl_c() => Err(stopped("interrupted", Signal::Interrupt)),
        _ = term.recv() => Err(stopped("terminated (SIGTERM)", Signal::Terminate)),
        _ = hangup.recv() => Err(stopped("hung up (SIGHUP)", Signal::Hangup)),
    }
}
