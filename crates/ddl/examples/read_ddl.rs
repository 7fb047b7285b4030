//! Times reading a DDL file into the model, on its own (in `check` it
//! overlaps introspection). `cargo run --release -p migdiff-ddl --example
//! read_ddl -- schema.sql [postgresql|sqlite] [runs]`
use std::time::Instant;

use migdiff_ddl::{SourceFile, read_schema};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .ok_or("usage: read_ddl FILE [postgresql|sqlite] [runs]")?;
    let dialect = match args.next().as_deref() {
        Some("sqlite") => migdiff_sqlite::DIALECT,
        _ => migdiff_postgres::DIALECT,
    };
    let runs: usize = args.next().map_or(Ok(5), |r| r.parse())?;
    let text = std::fs::read_to_string(&path)?;
    for _ in 0..runs {
        let files = [SourceFile {
            path: path.clone(),
            text: text.clone(),
        }];
        let start = Instant::now();
        let schema = read_schema(&files, dialect)?;
        println!(
            "{} tables in {:.1} ms",
            schema.tables.len(),
            start.elapsed().as_secs_f64() * 1000.0
        );
    }
    Ok(())
}
