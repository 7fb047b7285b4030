//! CREATE SEQUENCE and ALTER SEQUENCE ... OWNED BY (read by a targeted
//! reader: sqlparser does not keep every option), and identity options
//! with PostgreSQL's defaults filled in.

use super::*;

impl Reader {
    pub(super) fn sequence_owned_by(
        &mut self,
        raw: &RawStatement,
        origin: &Origin,
    ) -> Result<(), DdlError> {
        let words: Vec<&str> = raw.text.split_whitespace().collect();
        let d = sql_dialect(self.dialect);
        let parse = |s: &str| {
            Parser::new(d.as_ref())
                .try_with_sql(s)
                .and_then(|mut p| p.parse_object_name(false))
                .ok()
        };
        let pos = words
            .iter()
            .position(|w| w.eq_ignore_ascii_case("OWNED"))
            .unwrap_or(0);
        let (Some(seq), Some(target)) = (
            words.get(2).and_then(|w| parse(w)),
            words.get(pos + 2).and_then(|w| parse(w)),
        ) else {
            return Err(origin.unsupported("cannot read this ALTER SEQUENCE ... OWNED BY"));
        };
        let mut parts = self.name_parts(&target);
        if parts.last().is_some_and(|p| p.eq_ignore_ascii_case("none")) && parts.len() == 1 {
            return Ok(());
        }
        let Some(column) = parts.pop() else {
            return Ok(());
        };
        let table = match parts.as_slice() {
            [t] => ObjectName::new(self.search_schema.clone(), t.clone()),
            [.., s, t] => ObjectName::new(s.clone(), t.clone()),
            [] => return Err(origin.unsupported("OWNED BY needs table.column")),
        };
        self.owned.push((self.object_name(&seq), table, column));
        Ok(())
    }

    /// PostgreSQL takes sequence options in any order (pg_dump writes START
    /// before INCREMENT); sqlparser wants a fixed one, so this small reader
    /// handles CREATE SEQUENCE itself.
    pub(super) fn create_sequence(
        &mut self,
        raw: &RawStatement,
        origin: &Origin,
    ) -> Result<(), DdlError> {
        use sqlparser::keywords::Keyword as K;
        let d = sql_dialect(self.dialect);
        let fail = |e: sqlparser::parser::ParserError| {
            let msg = e.to_string();
            let (line, column) = locate(&msg, raw);
            DdlError::Parse {
                path: origin.path.clone(),
                line,
                column,
                message: clean_message(&msg),
                first_line: origin.first_line.clone(),
            }
        };
        let mut p = Parser::new(d.as_ref())
            .try_with_sql(raw.text)
            .map_err(fail)?;
        p.expect_keyword(K::CREATE).map_err(fail)?;
        let _ = p.parse_one_of_keywords(&[K::TEMP, K::TEMPORARY]);
        p.expect_keyword(K::SEQUENCE).map_err(fail)?;
        let _ = p.parse_keywords(&[K::IF, K::NOT, K::EXISTS]);
        let name = self.object_name(&p.parse_object_name(false).map_err(fail)?);
        let mut seq = m::Sequence {
            name: name.clone(),
            data_type: DataType::BigInt,
            start: None,
            increment: None,
            min_value: None,
            max_value: None,
            cache: None,
            cycle: false,
        };
        let num = |p: &mut Parser| -> Result<Option<i64>, DdlError> {
            let e = p.parse_expr().map_err(fail)?;
            Ok(number(&e))
        };
        loop {
            if p.parse_keyword(K::AS) {
                let t = p.parse_data_type().map_err(fail)?;
                seq.data_type = parse_type_text(&t.to_string(), self.dialect);
            } else if p.parse_keyword(K::INCREMENT) {
                let _ = p.parse_keyword(K::BY);
                seq.increment = num(&mut p)?;
            } else if p.parse_keyword(K::START) {
                let _ = p.parse_keyword(K::WITH);
                seq.start = num(&mut p)?;
            } else if p.parse_keyword(K::MINVALUE) {
                seq.min_value = num(&mut p)?;
            } else if p.parse_keyword(K::MAXVALUE) {
                seq.max_value = num(&mut p)?;
            } else if p.parse_keyword(K::CACHE) {
                seq.cache = num(&mut p)?;
            } else if p.parse_keyword(K::CYCLE) {
                seq.cycle = true;
            } else if p.parse_keyword(K::NO) {
                if p.parse_keyword(K::CYCLE) {
                    seq.cycle = false;
                } else if p
                    .parse_one_of_keywords(&[K::MINVALUE, K::MAXVALUE])
                    .is_none()
                {
                    return Err(origin.unsupported("expected CYCLE, MINVALUE or MAXVALUE after NO"));
                }
            } else if p.parse_keywords(&[K::OWNED, K::BY]) {
                let owner = p.parse_object_name(false).map_err(fail)?;
                let mut parts = self.name_parts(&owner);
                if let (Some(col), true) = (parts.pop(), !parts.is_empty()) {
                    let table = match parts.as_slice() {
                        [.., s, t] => ObjectName::new(s.clone(), t.clone()),
                        [t] => ObjectName::new(self.search_schema.clone(), t.clone()),
                        [] => ObjectName::new("", ""),
                    };
                    self.owned.push((name.clone(), table, col));
                }
            } else if p.peek_token().token == sqlparser::tokenizer::Token::EOF {
                break;
            } else {
                let t = p.peek_token();
                return Err(fail(sqlparser::parser::ParserError::ParserError(format!(
                    "Expected: a sequence option, found: {} at Line: {}, Column: {}",
                    t.token, t.span.start.line, t.span.start.column
                ))));
            }
        }
        let seq = with_sequence_defaults(seq);
        self.used(&name.schema).insert(name.name.clone());
        self.schema.sequences.insert(name, seq);
        Ok(())
    }
}

pub(super) fn identity(always: bool, options: &[SequenceOptions]) -> m::Identity {
    let mut i = m::Identity {
        always,
        start: None,
        increment: None,
        min_value: None,
        max_value: None,
        cache: None,
        cycle: false,
    };
    for o in options {
        match o {
            SequenceOptions::IncrementBy(e, _) => i.increment = number(e),
            SequenceOptions::MinValue(e) => i.min_value = e.as_ref().and_then(number),
            SequenceOptions::MaxValue(e) => i.max_value = e.as_ref().and_then(number),
            SequenceOptions::StartWith(e, _) => i.start = number(e),
            SequenceOptions::Cache(e) => i.cache = number(e),
            SequenceOptions::Cycle(no) => i.cycle = !no,
        }
    }
    i
}

/// PostgreSQL fills in a sequence's options; so does the declared side.
pub(super) fn with_sequence_defaults(mut s: m::Sequence) -> m::Sequence {
    let filled = migdiff_model::identity_with_defaults(
        &m::Identity {
            always: false,
            start: s.start,
            increment: s.increment,
            min_value: s.min_value,
            max_value: s.max_value,
            cache: s.cache,
            cycle: s.cycle,
        },
        &s.data_type,
    );
    s.start = filled.start;
    s.increment = filled.increment;
    s.min_value = filled.min_value;
    s.max_value = filled.max_value;
    s.cache = filled.cache;
    s
}

#[cfg(test)]
mod tests {
    use super::super::test_support::pg;
    use migdiff_model::ObjectName;

    #[test]
    fn sequences_get_postgresqls_defaults() {
        let s = pg("CREATE SEQUENCE counter INCREMENT BY 5 START WITH 100;");
        let seq = &s.sequences[&ObjectName::new("public", "counter")];
        assert_eq!((seq.increment, seq.start), (Some(5), Some(100)));
        assert_eq!(seq.min_value, Some(1));
        assert_eq!(seq.max_value, Some(i64::MAX));
        assert!(!seq.cycle);
    }

    #[test]
    fn an_owned_sequence_default_makes_a_serial_column() {
        let s = pg("CREATE TABLE t (id integer NOT NULL);\n\
             CREATE SEQUENCE t_id_seq AS integer START WITH 1 INCREMENT BY 1 NO MINVALUE NO MAXVALUE CACHE 1;\n\
             ALTER SEQUENCE t_id_seq OWNED BY t.id;\n\
             ALTER TABLE ONLY t ALTER COLUMN id SET DEFAULT nextval('t_id_seq'::regclass);");
        let t = &s.tables[&ObjectName::new("public", "t")];
        assert!(t.column("id").unwrap().serial);
        assert!(s.sequences.is_empty());
    }

    #[test]
    fn identity_options_are_read() {
        let i = super::identity(true, &[]);
        assert!(i.always);
        assert_eq!(i.start, None);
    }
}
