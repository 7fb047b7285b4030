//! PostgreSQL's errors as the server words them (the wording lives with the
//! throwaway databases, which need it too).

pub use migdiff_sandbox::server_error;
