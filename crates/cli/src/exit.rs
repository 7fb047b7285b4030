//! Every exit code migdiff returns is decided here (README, "Exit codes").

use std::process::ExitCode;

/// How a run ended, and so the process's exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0: done; for `check`, no drift.
    Success,
    /// 1: `check` found drift (or an expression it could not verify);
    /// `verify` found the revision wrong (a step failed, a comparison differs).
    Findings,
    /// 2: bad input or an environment problem; nothing was written.
    Error,
    /// 3: the database is not at the revision graph's heads.
    NotAtHead,
    /// 128 + the signal's number: stopped by Ctrl-C, SIGTERM or SIGHUP.
    Stopped(Signal),
}

/// The signals a run stops on (its throwaway database is removed first).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    Interrupt,
    Terminate,
    Hangup,
}

impl Signal {
    fn number(self) -> u8 {
        match self {
            Signal::Hangup => 1,
            Signal::Interrupt => 2,
            Signal::Terminate => 15,
        }
    }
}

impl ExitStatus {
    /// Success when nothing was found, else findings.
    pub fn findings_if(found: bool) -> Self {
        if found {
            ExitStatus::Findings
        } else {
            ExitStatus::Success
        }
    }

    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::Findings => 1,
            ExitStatus::Error => 2,
            ExitStatus::NotAtHead => 3,
            ExitStatus::Stopped(signal) => 128 + signal.number(),
        }
    }
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> Self {
        ExitCode::from(status.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_the_documented_ones() {
        let codes: Vec<u8> = [
            ExitStatus::Success,
            ExitStatus::Findings,
            ExitStatus::Error,
            ExitStatus::NotAtHead,
            ExitStatus::Stopped(Signal::Interrupt),
            ExitStatus::Stopped(Signal::Terminate),
            ExitStatus::Stopped(Signal::Hangup),
        ]
        .into_iter()
        .map(ExitStatus::code)
        .collect();
        assert_eq!(codes, [0, 1, 2, 3, 130, 143, 129]);
    }
}
