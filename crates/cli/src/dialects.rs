//! The one place dialects are registered. Each `dialects/*` crate gives a
//! driver (its facts through `Driver::dialect`); everything else asks the
//! registry, never which dialect it has. Adding a dialect is one line here.

use std::path::Path;
use std::sync::LazyLock;

use migdiff_driver::{ConnectSettings, Driver, Target, mask};
use migdiff_model::Dialect;

use crate::CliError;

/// Every dialect migdiff reads, compares and writes.
const DRIVERS: &[&dyn Driver] = &[
    &migdiff_postgres::Postgres,
    &migdiff_sqlite::Sqlite,
    &migdiff_mysql::Mysql,
];

static DIALECTS: LazyLock<Vec<Dialect>> =
    LazyLock::new(|| DRIVERS.iter().map(|d| d.dialect()).collect());

/// Every registered dialect.
pub fn dialects() -> &'static [Dialect] {
    &DIALECTS
}

/// The dialect `text` names (its name or an alias).
pub(crate) fn by_name(text: &str) -> Result<Dialect, CliError> {
    Dialect::find(dialects(), text).map_err(CliError::usage)
}

/// The driver of `dialect`.
pub(crate) fn driver(dialect: Dialect) -> Result<&'static dyn Driver, CliError> {
    DRIVERS
        .iter()
        .copied()
        .find(|d| d.dialect() == dialect)
        .ok_or_else(|| CliError::usage(format!("no driver is registered for {dialect}")))
}

/// Every driver, for what all of them contribute (the catalog queries).
pub(crate) fn drivers() -> &'static [&'static dyn Driver] {
    DRIVERS
}

/// Parses a database URL with the driver its scheme names (SQLAlchemy's
/// `dialect+driver` spelling too); relative file paths against `base`.
pub(crate) fn parse_url(
    url: &str,
    base: &Path,
    settings: ConnectSettings,
) -> Result<Box<dyn Target>, CliError> {
    let display = mask(url);
    let examples: Vec<&str> = DRIVERS.iter().map(|d| d.example_url()).collect();
    let bad = |why: &str| {
        CliError::usage(format!(
            "database URL `{display}`: {why}. Use {}",
            examples.join(" or ")
        ))
    };
    let Some((scheme, _)) = url.split_once("://") else {
        return Err(bad("not a URL"));
    };
    // SQLAlchemy's `dialect+driver`: the Python driver does not matter here.
    let backend = scheme.split('+').next().unwrap_or(scheme);
    let driver = DRIVERS
        .iter()
        .find(|d| {
            d.url_schemes()
                .iter()
                .any(|s| s.eq_ignore_ascii_case(backend))
        })
        .ok_or_else(|| {
            bad(&format!(
                "unknown scheme `{}`",
                backend.to_ascii_lowercase()
            ))
        })?;
    driver
        .parse_url(url, &display, base, settings)
        .map_err(|e| CliError::usage(e.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_find_their_driver() {
        let base = Path::new("/base");
        let settings = ConnectSettings::default();
        let pg = parse_url("postgresql+psycopg2://u@h/db", base, settings).unwrap();
        assert_eq!(pg.dialect(), migdiff_postgres::DIALECT);
        assert_eq!(pg.database_name().as_deref(), Some("db"));
        let lite = parse_url("sqlite:///rel.db", base, settings).unwrap();
        assert_eq!(lite.dialect(), migdiff_sqlite::DIALECT);
        let e = parse_url("oracle://u:pw@h/db", base, settings)
            .err()
            .unwrap();
        assert!(
            e.message.contains("***") && !e.message.contains("pw@"),
            "{}",
            e.message
        );
        assert!(
            e.message.contains("unknown scheme `oracle`"),
            "{}",
            e.message
        );
        assert_eq!(by_name("PG").unwrap(), migdiff_postgres::DIALECT);
        assert_eq!(by_name("sqlite3").unwrap(), migdiff_sqlite::DIALECT);
        assert!(by_name("oracle").is_err());
    }
}
