//! Unit tests of the diff and its ordering: one per op kind and per
//! ordering case, each also checking that `apply(diff(a, b), a) == b` and
//! that every op's inverse undoes it.

use crate::*;

/// A dialect with PostgreSQL's name and the plainest facts: the model's
/// tests need a dialect to write and read snapshots, and the real ones
/// live in crates above this one.
struct TestDialect;

const TEST_DIALECT: Dialect = Dialect::new(&TestDialect);

impl DialectSpec for TestDialect {
    fn name(&self) -> &'static str {
        "postgresql"
    }
    fn title(&self) -> &'static str {
        "PostgreSQL"
    }
    fn default_schema(&self) -> &'static str {
        "public"
    }
    fn has_schemas(&self) -> bool {
        true
    }
    fn sql_grammar(&self) -> &'static str {
        "postgresql"
    }
    fn fold_name(&self, name: &str, quoted: bool) -> String {
        if quoted {
            name.into()
        } else {
            name.to_lowercase()
        }
    }
    fn names_ignore_case(&self) -> bool {
        false
    }
    fn needs_quotes(&self, name: &str) -> bool {
        name.chars().any(|c| !c.is_ascii_lowercase() && c != '_')
    }
    fn is_reserved_word(&self, _word: &str) -> bool {
        false
    }
    fn implicit_name(
        &self,
        table: &str,
        _columns: Option<&[String]>,
        label: &str,
        _taken: &dyn Fn(&str) -> bool,
    ) -> Option<String> {
        Some(format!("{table}_{label}"))
    }
    fn type_named(&self, _base: &str, _args: &[Option<u32>]) -> Option<DataType> {
        None
    }
    fn type_sql(&self, data_type: &DataType) -> String {
        format!("{data_type:?}")
    }
    fn boolean_sql(&self, value: bool) -> &'static str {
        if value { "true" } else { "false" }
    }
    fn has_sequences(&self) -> bool {
        true
    }
    fn generated_without_mode_is_virtual(&self, _server_major: Option<u32>) -> bool {
        false
    }
    fn kwarg_prefix(&self) -> &'static str {
        "postgresql"
    }
    fn sqlalchemy_scheme(&self) -> &'static str {
        "postgresql://"
    }
    fn renderer(&self) -> &'static dyn DialectRender {
        &TestDialect
    }
}

impl DialectRender for TestDialect {
    fn dialect(&self) -> Dialect {
        TEST_DIALECT
    }
    fn python_type(&self, data_type: &DataType, _style: TypeStyle, _schema: &Schema) -> PythonType {
        PythonType::sa(format!("{data_type:?}"))
    }
    fn render_sql(&self, _ops: &[Op], _current: &Schema) -> Vec<String> {
        Vec::new()
    }
}

fn name(t: &str) -> ObjectName {
    ObjectName::new("public", t)
}

fn table(t: &str, cols: &[&str]) -> Table {
    let mut table = Table::new(name(t));
    for c in cols {
        table.columns.push(Column::new(*c, DataType::Integer));
    }
    table
}

fn fk(col: &str, to: &str) -> ForeignKey {
    ForeignKey {
        name: Some(format!("fk_{col}_{to}")),
        auto_name: false,
        columns: vec![col.into()],
        ref_table: name(to),
        ref_columns: vec!["id".into()],
        on_delete: FkAction::NoAction,
        on_update: FkAction::NoAction,
        deferrable: false,
        initially_deferred: false,
        match_kind: FkMatch::Simple,
        not_enforced: false,
        period: false,
    }
}

fn schema(tables: Vec<Table>) -> Schema {
    let mut s = Schema::default();
    for t in tables {
        s.tables.insert(t.name.clone(), t);
    }
    s
}

/// diff(a, b) applied to a gives b, and the inverses applied after give a.
fn check(a: &Schema, b: &Schema) -> Vec<Op> {
    let ops = diff(a, b, &DiffOptions::default());
    let mut s = a.clone();
    for op in &ops {
        apply(&mut s, op);
    }
    s.canonicalize();
    let mut want = b.clone();
    want.canonicalize();
    assert_eq!(
        diff(&s, &want, &DiffOptions::default()),
        vec![],
        "upgrade does not reach the target: {ops:#?}"
    );
    for op in ops.iter().rev() {
        apply(&mut s, &op.inverse());
    }
    let mut start = a.clone();
    start.canonicalize();
    assert_eq!(
        diff(&s, &start, &DiffOptions::default()),
        vec![],
        "inverses do not undo: {ops:#?}"
    );
    ops
}

fn kinds(ops: &[Op]) -> Vec<&'static str> {
    ops.iter().map(Op::kind).collect()
}

#[test]
fn identical_schemas_have_no_ops() {
    let s = schema(vec![table("a", &["id"])]);
    assert!(diff(&s, &s, &DiffOptions::default()).is_empty());
}

#[test]
fn each_column_change() {
    let a = schema(vec![table("t", &["id", "gone", "x"])]);
    let mut t = table("t", &["id", "x", "new"]);
    let x = t.column_mut("x").unwrap();
    x.data_type = DataType::BigInt;
    x.nullable = false;
    x.default = Some("0".into());
    x.comment = Some("c".into());
    let b = schema(vec![t]);
    let ops = check(&a, &b);
    assert_eq!(
        kinds(&ops),
        vec!["drop_column", "add_column", "alter_column"]
    );
    let Op::AlterColumn(alter) = &ops[2] else {
        panic!()
    };
    assert!(
        alter.type_changed()
            && alter.nullable_changed()
            && alter.default_changed()
            && alter.comment_changed()
    );
    // SET NOT NULL scans the table whether or not a default comes with it.
    assert!(ops[2].hazards().contains(&Rule::AddingNotNullableField));
    assert!(ops[0].hazards().contains(&Rule::BanDropColumn));
}

#[test]
fn generated_expression_change_is_drop_and_add() {
    let mut a = table("t", &["id", "g"]);
    a.column_mut("g").unwrap().generated = Some(Generated {
        expr: "id * 2".into(),
        stored: true,
    });
    let mut b = a.clone();
    b.column_mut("g").unwrap().generated = Some(Generated {
        expr: "id * 3".into(),
        stored: true,
    });
    let ops = check(&schema(vec![a]), &schema(vec![b]));
    assert_eq!(kinds(&ops), vec!["drop_column", "add_column"]);
}

#[test]
fn constraints_and_indexes() {
    let a = schema(vec![table("t", &["id", "v"])]);
    let mut t = table("t", &["id", "v"]);
    t.primary_key = Some(PrimaryKey {
        name: Some("t_pkey".into()),
        auto_name: false,
        columns: vec!["id".into()],
        without_overlaps: false,
    });
    t.uniques.push(UniqueConstraint {
        name: Some("uq".into()),
        auto_name: false,
        columns: vec!["v".into()],
        nulls_not_distinct: false,
        deferrable: false,
        initially_deferred: false,
        without_overlaps: false,
    });
    t.checks.push(CheckConstraint {
        name: Some("ck".into()),
        auto_name: false,
        expr: "v > 0".into(),
        not_enforced: false,
    });
    t.indexes.push(Index {
        name: "ix".into(),
        unique: false,
        keys: vec![IndexKey::column("v")],
        predicate: None,
        method: "btree".into(),
        include: vec![],
        nulls_not_distinct: false,
    });
    t.comment = Some("hello".into());
    let b = schema(vec![t.clone()]);
    let ops = check(&a, &b);
    assert_eq!(
        kinds(&ops),
        vec![
            "add_primary_key",
            "add_check_constraint",
            "create_index",
            "add_unique_constraint",
            "set_table_comment"
        ]
    );
    // A changed check and index are dropped and created again.
    let mut t2 = t.clone();
    t2.checks[0].expr = "v > 1".into();
    t2.indexes[0].unique = true;
    let ops = check(&b, &schema(vec![t2]));
    assert_eq!(
        kinds(&ops),
        vec![
            "drop_check_constraint",
            "drop_index",
            "add_check_constraint",
            "create_index"
        ]
    );
}

#[test]
fn enum_values() {
    let e = |v: &[&str]| EnumType {
        name: name("st"),
        values: v.iter().map(|s| s.to_string()).collect(),
    };
    let mut a = Schema::default();
    a.enums.insert(name("st"), e(&["a", "c"]));
    let mut b = Schema::default();
    b.enums.insert(name("st"), e(&["a", "b", "c", "d"]));
    let ops = check(&a, &b);
    assert_eq!(kinds(&ops), vec!["add_enum_value", "add_enum_value"]);
    let Op::AddEnumValue { value, before, .. } = &ops[0] else {
        panic!()
    };
    assert_eq!((value.as_str(), before.as_deref()), ("b", Some("c")));
    let mut c = Schema::default();
    c.enums.insert(name("st"), e(&["c", "a"]));
    let ops = check(&a, &c);
    assert_eq!(kinds(&ops), vec!["recreate_enum"]);
    assert!(ops[0].hazards().contains(&Rule::ChangingColumnType));
}

#[test]
fn new_tables_in_fk_order_with_cycles_split_out() {
    let mut a = table("a", &["id", "b_id"]);
    a.foreign_keys.push(fk("b_id", "b"));
    let mut b = table("b", &["id", "a_id"]);
    b.foreign_keys.push(fk("a_id", "a"));
    let mut c = table("c", &["id", "a_id"]);
    c.foreign_keys.push(fk("a_id", "a"));
    let target = schema(vec![c, b, a]);
    let ops = check(&Schema::default(), &target);
    assert_eq!(
        kinds(&ops),
        vec![
            "create_table",
            "create_table",
            "create_table",
            "add_foreign_key"
        ]
    );
    let names: Vec<String> = ops.iter().map(Op::object_path).collect();
    assert_eq!(
        names[..3],
        ["public.a".to_string(), "public.b".into(), "public.c".into()]
    );
    let Op::CreateTable(first) = &ops[0] else {
        panic!()
    };
    assert!(
        first.foreign_keys.is_empty(),
        "the cycle-closing FK is added afterwards"
    );
}

#[test]
fn self_reference_stays_inline() {
    let mut n = table("n", &["id", "parent"]);
    n.foreign_keys.push(fk("parent", "n"));
    let ops = check(&Schema::default(), &schema(vec![n]));
    assert_eq!(kinds(&ops), vec!["create_table"]);
}

#[test]
fn dropped_tables_go_children_first() {
    let mut orders = table("orders", &["id", "user_id"]);
    orders.foreign_keys.push(fk("user_id", "users"));
    let current = schema(vec![
        table("users", &["id"]),
        orders,
        table("audit", &["id"]),
    ]);
    let ops = check(&current, &schema(vec![table("audit", &["id"])]));
    let names: Vec<String> = ops.iter().map(Op::object_path).collect();
    assert_eq!(names, vec!["public.orders", "public.users"]);
}

#[test]
fn fk_into_a_dropped_table_is_dropped_first() {
    let mut keep = table("keep", &["id", "gone_id"]);
    keep.foreign_keys.push(fk("gone_id", "gone"));
    let current = schema(vec![table("gone", &["id"]), keep]);
    let ops = check(&current, &schema(vec![table("keep", &["id", "gone_id"])]));
    assert_eq!(kinds(&ops), vec!["drop_foreign_key", "drop_table"]);
}

#[test]
fn primary_key_change_rebuilds_dependent_foreign_keys() {
    let mut p = table("p", &["id", "b"]);
    p.primary_key = Some(PrimaryKey {
        name: Some("p_pkey".into()),
        auto_name: false,
        columns: vec!["id".into()],
        without_overlaps: false,
    });
    let mut c = table("c", &["id", "p_id"]);
    c.foreign_keys.push(fk("p_id", "p"));
    let current = schema(vec![p.clone(), c.clone()]);
    let mut p2 = p.clone();
    p2.primary_key = Some(PrimaryKey {
        name: Some("p_pkey".into()),
        auto_name: false,
        columns: vec!["id".into(), "b".into()],
        without_overlaps: false,
    });
    p2.uniques.push(UniqueConstraint {
        name: Some("p_id_key".into()),
        auto_name: false,
        columns: vec!["id".into()],
        nulls_not_distinct: false,
        deferrable: false,
        initially_deferred: false,
        without_overlaps: false,
    });
    let ops = check(&current, &schema(vec![p2, c]));
    assert_eq!(
        kinds(&ops),
        vec![
            "drop_foreign_key",
            "drop_primary_key",
            "add_primary_key",
            "add_unique_constraint",
            "add_foreign_key"
        ]
    );
}

#[test]
fn rename_by_hint() {
    let a = schema(vec![table("t", &["id", "old"])]);
    let b = schema(vec![table("t", &["id", "new"])]);
    let opts = DiffOptions {
        column_renames: vec![(name("t"), "old".into(), "new".into())],
        ..DiffOptions::default()
    };
    let ops = diff(&a, &b, &opts);
    assert_eq!(kinds(&ops), vec!["rename_column"]);
}

#[test]
fn schemas_and_sequences() {
    let mut b = Schema::default();
    b.schemas.insert("app".into());
    b.sequences.insert(
        name("s"),
        Sequence {
            name: name("s"),
            data_type: DataType::BigInt,
            start: Some(5),
            increment: None,
            min_value: None,
            max_value: None,
            cache: None,
            cycle: false,
        },
    );
    let ops = check(&Schema::default(), &b);
    assert_eq!(kinds(&ops), vec!["create_schema", "create_sequence"]);
}

#[test]
fn group_by_table_keeps_each_tables_changes_together() {
    let a = schema(vec![table("a", &["id", "x"]), table("b", &["id", "y"])]);
    let b = schema(vec![table("a", &["id", "x2"]), table("b", &["id", "y2"])]);
    let ops = diff(
        &a,
        &b,
        &DiffOptions {
            group_by_table: true,
            ..DiffOptions::default()
        },
    );
    let tables: Vec<String> = ops
        .iter()
        .map(|o| o.table().unwrap().name.clone())
        .collect();
    assert_eq!(tables, vec!["a", "a", "b", "b"]);
}

#[test]
fn snapshot_keeps_model_hints() {
    let mut t = table("book", &["id", "author_id"]);
    t.primary_key = Some(PrimaryKey {
        name: Some("pk_book".into()),
        auto_name: false,
        columns: vec!["id".into()],
        without_overlaps: false,
    });
    t.foreign_keys.push(fk("author_id", "author"));
    t.indexes.push(Index {
        name: "ix_book_author_id".into(),
        unique: false,
        keys: vec![IndexKey {
            target: IndexTarget::Column("author_id".into()),
            descending: false,
            nulls_first: None,
            opclass: None,
            collation: None,
            prefix_length: None,
        }],
        predicate: None,
        method: "btree".into(),
        include: vec![],
        nulls_not_distinct: false,
    });
    let s = schema(vec![t, table("author", &["id"])]);
    let mut hints = ModelHints {
        sa_enum: true,
        ..ModelHints::default()
    };
    // A convention-made name for a PK and an index; the FK's name is the
    // model's own.
    hints.final_names.insert("pk_book".into());
    hints.final_names.insert("ix_book_author_id".into());
    hints.column_types.insert(
        (name("book"), "author_id".into()),
        ModelType {
            code: "app.types.Key()".into(),
            import: Some("import app.types".into()),
        },
    );
    let text = snapshot::to_toml_with_hints(&s, TEST_DIALECT, &hints).unwrap();
    assert!(text.contains("model_type = \"app.types.Key()\""), "{text}");
    assert!(text.contains("sa_enum = true"), "{text}");
    let (dialect, back, back_hints) =
        snapshot::from_toml_with_hints(&text, &[TEST_DIALECT]).unwrap();
    assert_eq!(dialect, TEST_DIALECT);
    assert_eq!(back_hints, hints);
    assert_eq!(diff(&back, &s, &DiffOptions::default()), vec![]);
    // Written again, byte for byte the same; without hints, none of them.
    assert_eq!(
        snapshot::to_toml_with_hints(&back, TEST_DIALECT, &back_hints).unwrap(),
        text
    );
    let plain = snapshot::to_toml(&s, TEST_DIALECT).unwrap();
    assert!(
        !plain.contains("model_") && !plain.contains("convention") && !plain.contains("sa_enum")
    );
    assert!(
        snapshot::from_toml_with_hints(&plain, &[TEST_DIALECT])
            .unwrap()
            .2
            .is_empty()
    );
}

#[test]
fn building_an_index_locks_writes_and_rewrites_nothing() {
    let a = table("t", &["id", "v"]);
    let mut b = a.clone();
    b.indexes.push(Index {
        name: "ix_t_v".into(),
        unique: false,
        keys: vec![IndexKey::column("v")],
        predicate: None,
        method: "btree".into(),
        include: Vec::new(),
        nulls_not_distinct: false,
    });
    let mut before = Schema::default();
    before.tables.insert(a.name.clone(), a);
    let mut after = Schema::default();
    after.tables.insert(b.name.clone(), b);
    let ops = check(&before, &after);
    assert_eq!(kinds(&ops), vec!["create_index"]);
    assert_eq!(ops[0].hazards(), vec![Rule::RequireConcurrentIndexCreation]);
}

fn index_on(t: &str, col: &str, index: &str) -> Index {
    let _ = t;
    Index {
        name: index.into(),
        unique: false,
        keys: vec![IndexKey::column(col)],
        predicate: None,
        method: "btree".into(),
        include: Vec::new(),
        nulls_not_distinct: false,
    }
}

#[test]
fn a_dropped_table_frees_its_index_name_before_a_new_table_takes_it() {
    let mut old = table("accounts", &["id", "email"]);
    old.indexes.push(index_on("accounts", "email", "ix_email"));
    let mut new = table("users", &["id", "email"]);
    new.indexes.push(index_on("users", "email", "ix_email"));
    let ops = check(&schema(vec![old]), &schema(vec![new]));
    assert_eq!(
        kinds(&ops),
        vec!["drop_index", "drop_table", "create_table", "create_index"]
    );
    // Without a shared name, drops stay last, as Alembic writes them.
    let mut old = table("accounts", &["id", "email"]);
    old.indexes
        .push(index_on("accounts", "email", "ix_accounts_email"));
    let new = table("users", &["id", "email"]);
    let ops = check(&schema(vec![old]), &schema(vec![new]));
    assert_eq!(
        kinds(&ops),
        vec!["create_table", "drop_index", "drop_table"]
    );
}

#[test]
fn a_primary_key_under_another_name_is_renamed() {
    let pk = |n: &str| PrimaryKey {
        name: Some(n.into()),
        columns: vec!["id".into()],
        auto_name: false,
        without_overlaps: false,
    };
    let mut a = table("t", &["id"]);
    a.primary_key = Some(pk("t_pk_old"));
    let mut b = a.clone();
    b.primary_key = Some(pk("pk_t"));
    let ops = check(&schema(vec![a.clone()]), &schema(vec![b]));
    assert_eq!(kinds(&ops), vec!["rename_primary_key"]);
    // A name the database chose is not compared at all.
    let mut c = a.clone();
    c.primary_key = Some(PrimaryKey {
        auto_name: true,
        ..pk("t_pkey")
    });
    assert!(check(&schema(vec![a]), &schema(vec![c])).is_empty());
}

#[test]
fn snapshot_keeps_temporal_keys_and_enforcement() {
    let text = r#"format = 1
dialect = "postgresql"

[tables.public.rooms]
primary_key = { name = "rooms_pkey", columns = ["room", "valid_at"], without_overlaps = true }
columns = [
    { name = "room", type = "integer", nullable = false },
    { name = "valid_at", type = "other(tstzrange)", nullable = false },
]

[tables.public.bookings]
columns = [
    { name = "room", type = "integer" },
    { name = "valid_at", type = "other(tstzrange)" },
    { name = "guests", type = "integer" },
]

[[tables.public.bookings.foreign_keys]]
name = "bookings_room_fkey"
columns = ["room", "valid_at"]
ref_schema = "public"
ref_table = "rooms"
ref_columns = ["room", "valid_at"]
period = true
not_enforced = true

[[tables.public.bookings.check_constraints]]
name = "bookings_guests_check"
expr = "guests > 0"
not_enforced = true
"#;
    let (dialect, schema) = snapshot::from_toml(text, &[TEST_DIALECT]).unwrap();
    let rooms = &schema.tables[&ObjectName::new("public", "rooms")];
    assert!(rooms.primary_key.as_ref().unwrap().without_overlaps);
    let bookings = &schema.tables[&ObjectName::new("public", "bookings")];
    assert!(bookings.foreign_keys[0].period && bookings.foreign_keys[0].not_enforced);
    assert!(bookings.checks[0].not_enforced);
    let again = snapshot::to_toml(&schema, dialect).unwrap();
    assert_eq!(
        snapshot::from_toml(&again, &[TEST_DIALECT]).unwrap().1,
        schema
    );
    // Enforcing the check is a drop and an add.
    let mut enforced = schema.clone();
    if let Some(t) = enforced
        .tables
        .get_mut(&ObjectName::new("public", "bookings"))
    {
        t.checks[0].not_enforced = false;
    }
    let ops = diff(&schema, &enforced, &DiffOptions::default());
    assert!(
        matches!(ops.as_slice(), [Op::DropCheck { .. }, Op::AddCheck { .. }]),
        "{ops:?}"
    );
    // A temporal key needs a column before its period.
    let one = text.replace(
        r#"columns = ["room", "valid_at"], without"#,
        r#"columns = ["valid_at"], without"#,
    );
    let e = snapshot::from_toml(&one, &[TEST_DIALECT])
        .unwrap_err()
        .to_string();
    assert!(e.contains("at least two columns"), "{e}");
}

#[test]
fn widening_types_destroy_nothing() {
    let other = |t: &str| DataType::Other(t.to_string());
    let ts = |timezone, precision| DataType::Timestamp {
        timezone,
        precision,
    };
    let numeric = DataType::Numeric {
        precision: None,
        scale: None,
    };
    for (from, to) in [
        (ts(false, None), ts(true, None)),
        (ts(false, Some(3)), ts(true, None)),
        (DataType::Real, DataType::Double),
        (DataType::Integer, DataType::Double),
        (DataType::BigInt, numeric.clone()),
        (DataType::Date, ts(false, None)),
        (other("enum('a','b')"), other("enum('a','b','it''s')")),
        (other("set('a')"), other("set('b','a')")),
    ] {
        assert!(!from.is_narrowing_to(&to), "{from} -> {to}");
    }
    for (from, to) in [
        (ts(true, None), ts(false, None)),
        (ts(false, None), ts(true, Some(3))),
        (DataType::Double, DataType::Real),
        (DataType::BigInt, DataType::Double),
        (numeric, DataType::Integer),
        (ts(false, None), DataType::Date),
        (other("enum('a','b')"), other("enum('a')")),
        (other("enum('a')"), other("set('a')")),
        (other("enum('a')"), DataType::Text),
    ] {
        assert!(from.is_narrowing_to(&to), "{from} -> {to}");
    }
}
