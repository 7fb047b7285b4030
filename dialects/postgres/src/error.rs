//! PostgreSQL's errors as the server words them.

use sqlx::postgres::PgDatabaseError;

/// An error from sqlx, worded as the server sent it: the message, then its
/// DETAIL and HINT. sqlx's own wording ends in "at line 948", a line of the
/// server's C source that means nothing to a user, and prefixes "error
/// returned from database".
pub fn server_error(e: &sqlx::Error) -> String {
    let sqlx::Error::Database(db) = e else {
        return e.to_string();
    };
    let Some(pg) = db.try_downcast_ref::<PgDatabaseError>() else {
        return db.message().to_string();
    };
    let mut text = pg.message().to_string();
    if let Some(detail) = pg.detail() {
        text.push_str(&format!(" ({detail})"));
    }
    if let Some(hint) = pg.hint() {
        text.push_str(&format!("; hint: {hint}"));
    }
    text
}
