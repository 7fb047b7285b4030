//! Objects as alembic_utils entities, for projects that declare theirs
//! with it: the keyword arguments alembic_utils' own autogenerate writes
//! (`schema`, `signature`, `definition`; `on_entity` and `is_constraint`
//! for triggers, `with_data` for materialized views).

use migdiff_model::{Entity, EntityObject, py_repr, py_text_block};

/// alembic_utils' variable name: `schema_name`, lower case.
fn variable(schema: &str, name: &str) -> String {
    let raw = format!("{}_{}", schema.to_lowercase(), name.to_lowercase());
    let mut v: String = raw
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if v.starts_with(|c: char| c.is_ascii_digit()) {
        v.insert(0, '_');
    }
    v
}

/// `CREATE [OR REPLACE] FUNCTION name(args) rest` → (`name(args)`, `rest`):
/// the signature is the name and the argument list as written, the
/// definition everything after it.
fn split_function(statement: &str, name: &str) -> Option<(String, String)> {
    let open = statement.find('(')?;
    let bytes = statement.as_bytes();
    let (mut depth, mut quote) = (0usize, None::<u8>);
    let mut close = None;
    for (i, &b) in bytes.iter().enumerate().skip(open) {
        match (quote, b) {
            (Some(q), _) if b == q => quote = None,
            (Some(_), _) => {}
            (None, b'\'' | b'"') => quote = Some(b),
            (None, b'(') => depth += 1,
            (None, b')') => {
                depth -= 1;
                if depth == 0 {
                    close = Some(i);
                    break;
                }
            }
            _ => {}
        }
    }
    let close = close?;
    let args = &statement[open + 1..close];
    let rest = statement[close + 1..]
        .trim()
        .trim_end_matches(';')
        .trim_end();
    Some((format!("{name}({args})"), rest.to_string()))
}

/// `CREATE [CONSTRAINT] TRIGGER name rest` → `rest`.
fn trigger_definition(statement: &str) -> Option<String> {
    let upper = statement.to_ascii_uppercase();
    let at = upper.find("TRIGGER")? + "TRIGGER".len();
    let rest = statement[at..].trim_start();
    let after_name = if let Some(quoted) = rest.strip_prefix('"') {
        let mut end = None;
        let b = quoted.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'"' {
                if b.get(i + 1) == Some(&b'"') {
                    i += 2;
                    continue;
                }
                end = Some(i + 1);
                break;
            }
            i += 1;
        }
        &quoted[end?..]
    } else {
        let end = rest.find(char::is_whitespace)?;
        &rest[end..]
    };
    Some(
        after_name
            .trim()
            .trim_end_matches(';')
            .trim_end()
            .to_string(),
    )
}

pub(crate) fn entity(object: EntityObject<'_>) -> Option<Entity> {
    Some(match object {
        EntityObject::View(v) => {
            let mut args = vec![
                ("schema", py_repr(&v.name.schema)),
                ("signature", py_repr(&v.name.name)),
                ("definition", py_text_block(v.query.trim())),
            ];
            if v.materialized {
                args.push((
                    "with_data",
                    if v.with_data { "True" } else { "False" }.into(),
                ));
            }
            Entity {
                class: if v.materialized {
                    "PGMaterializedView"
                } else {
                    "PGView"
                },
                module: if v.materialized {
                    "alembic_utils.pg_materialized_view"
                } else {
                    "alembic_utils.pg_view"
                },
                variable: variable(&v.name.schema, &v.name.name),
                args,
            }
        }
        // A function written under another search path is not one
        // alembic_utils can create (it qualifies nothing in the body).
        EntityObject::Function(f) if f.search_path.is_none() && !f.procedure => {
            let (signature, definition) = split_function(f.create_statement(), &f.id.name.name)?;
            Entity {
                class: "PGFunction",
                module: "alembic_utils.pg_function",
                variable: variable(&f.id.name.schema, &f.id.name.name),
                args: vec![
                    ("schema", py_repr(&f.id.name.schema)),
                    ("signature", py_repr(&signature)),
                    ("definition", py_text_block(&definition)),
                ],
            }
        }
        EntityObject::Function(_) => return None,
        EntityObject::Trigger(t) => {
            let statement = t.create_statement();
            let definition = trigger_definition(statement)?;
            let constraint = statement
                .split_whitespace()
                .take(4)
                .any(|w| w.eq_ignore_ascii_case("CONSTRAINT"));
            let mut args = vec![
                ("schema", py_repr(&t.id.table.schema)),
                ("signature", py_repr(&t.id.name)),
                ("on_entity", py_repr(&t.id.table.to_string())),
            ];
            if constraint {
                args.push(("is_constraint", "True".into()));
            }
            args.push(("definition", py_text_block(&definition)));
            Entity {
                class: "PGTrigger",
                module: "alembic_utils.pg_trigger",
                variable: variable(&t.id.table.schema, &t.id.name),
                args,
            }
        }
        EntityObject::Extension(e) => Entity {
            class: "PGExtension",
            module: "alembic_utils.pg_extension",
            variable: variable(&e.schema, &e.name),
            args: vec![
                ("schema", py_repr(&e.schema)),
                ("signature", py_repr(&e.name)),
            ],
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_function_splits_into_signature_and_definition() {
        let (sig, def) = split_function(
            "CREATE OR REPLACE FUNCTION public.f(a integer, b text DEFAULT ')')\n RETURNS integer\n LANGUAGE sql\nAS $function$select 1$function$",
            "f",
        )
        .unwrap();
        assert_eq!(sig, "f(a integer, b text DEFAULT ')')");
        assert_eq!(
            def,
            "RETURNS integer\n LANGUAGE sql\nAS $function$select 1$function$"
        );
    }

    #[test]
    fn a_trigger_loses_its_name() {
        assert_eq!(
            trigger_definition("CREATE TRIGGER \"we\"\"ird\" BEFORE INSERT ON public.t FOR EACH ROW EXECUTE FUNCTION public.f()").unwrap(),
            "BEFORE INSERT ON public.t FOR EACH ROW EXECUTE FUNCTION public.f()"
        );
        assert_eq!(
            trigger_definition("CREATE CONSTRAINT TRIGGER trg AFTER INSERT ON public.t").unwrap(),
            "AFTER INSERT ON public.t"
        );
    }
}
