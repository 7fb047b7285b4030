//! The online-safety rules: what makes a migration step lock a busy table,
//! rewrite it, lose data or break running code, each with the reason and
//! the safe alternative. `Op::hazards` tags diff ops with them and
//! `migdiff lint` finds them in any revision's SQL, so both speak the same
//! names. Where squawk (the PostgreSQL migration linter) has a rule for
//! the same thing, the name is squawk's, so that a team's ignores and
//! habits carry over.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    /// `CREATE INDEX` without `CONCURRENTLY`.
    RequireConcurrentIndexCreation,
    /// `DROP INDEX` without `CONCURRENTLY`.
    RequireConcurrentIndexDeletion,
    /// `ADD UNIQUE` building its index under the table's lock.
    DisallowedUniqueConstraint,
    /// `ADD PRIMARY KEY` building its index under the table's lock (squawk's
    /// name for it).
    AddingPrimaryKeyConstraint,
    /// `ADD FOREIGN KEY` validated at once.
    AddingForeignKeyConstraint,
    /// A foreign key or CHECK added without `NOT VALID`, or validated in the
    /// transaction that added it.
    ConstraintMissingNotValid,
    /// `SET NOT NULL` on an existing column.
    AddingNotNullableField,
    /// A `NOT NULL` column added without a default.
    AddingRequiredField,
    /// A column whose default or generated value rewrites the table.
    AddingFieldWithDefault,
    /// `ALTER COLUMN ... TYPE`.
    ChangingColumnType,
    /// A type change that can lose data (a shorter length, a smaller number).
    NarrowingColumnType,
    /// Enum values removed: rows holding them make the migration fail.
    RemovingEnumValue,
    BanDropColumn,
    BanDropTable,
    BanDropSequence,
    RenamingColumn,
    RenamingTable,
    /// `CREATE` / `DROP INDEX CONCURRENTLY` inside a transaction block.
    BanConcurrentIndexCreationInTransaction,
    /// A locking statement before any `SET lock_timeout`.
    RequireLockTimeout,
}

impl Rule {
    pub const ALL: &'static [Rule] = &[
        Rule::RequireConcurrentIndexCreation,
        Rule::RequireConcurrentIndexDeletion,
        Rule::DisallowedUniqueConstraint,
        Rule::AddingPrimaryKeyConstraint,
        Rule::AddingForeignKeyConstraint,
        Rule::ConstraintMissingNotValid,
        Rule::AddingNotNullableField,
        Rule::AddingRequiredField,
        Rule::AddingFieldWithDefault,
        Rule::ChangingColumnType,
        Rule::NarrowingColumnType,
        Rule::RemovingEnumValue,
        Rule::BanDropColumn,
        Rule::BanDropTable,
        Rule::BanDropSequence,
        Rule::RenamingColumn,
        Rule::RenamingTable,
        Rule::BanConcurrentIndexCreationInTransaction,
        Rule::RequireLockTimeout,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Rule::RequireConcurrentIndexCreation => "require-concurrent-index-creation",
            Rule::RequireConcurrentIndexDeletion => "require-concurrent-index-deletion",
            Rule::DisallowedUniqueConstraint => "disallowed-unique-constraint",
            Rule::AddingPrimaryKeyConstraint => "adding-serial-primary-key-field",
            Rule::AddingForeignKeyConstraint => "adding-foreign-key-constraint",
            Rule::ConstraintMissingNotValid => "constraint-missing-not-valid",
            Rule::AddingNotNullableField => "adding-not-nullable-field",
            Rule::AddingRequiredField => "adding-required-field",
            Rule::AddingFieldWithDefault => "adding-field-with-default",
            Rule::ChangingColumnType => "changing-column-type",
            Rule::NarrowingColumnType => "narrowing-column-type",
            Rule::RemovingEnumValue => "removing-enum-value",
            Rule::BanDropColumn => "ban-drop-column",
            Rule::BanDropTable => "ban-drop-table",
            Rule::BanDropSequence => "ban-drop-sequence",
            Rule::RenamingColumn => "renaming-column",
            Rule::RenamingTable => "renaming-table",
            Rule::BanConcurrentIndexCreationInTransaction => {
                "ban-concurrent-index-creation-in-transaction"
            }
            Rule::RequireLockTimeout => "require-lock-timeout",
        }
    }

    pub fn from_name(name: &str) -> Option<Rule> {
        Rule::ALL.iter().copied().find(|r| r.name() == name)
    }

    /// Whether the rule is about a lock held on a busy table (the rest are
    /// about data lost or running code broken, on any database).
    pub fn is_lock(self) -> bool {
        !matches!(
            self,
            Rule::AddingRequiredField
                | Rule::NarrowingColumnType
                | Rule::RemovingEnumValue
                | Rule::BanDropColumn
                | Rule::BanDropTable
                | Rule::BanDropSequence
                | Rule::RenamingColumn
                | Rule::RenamingTable
        )
    }

    /// What goes wrong on a busy table.
    pub fn why(self) -> &'static str {
        match self {
            Rule::RequireConcurrentIndexCreation => {
                "CREATE INDEX holds a SHARE lock while it builds: every write to the table waits until the index is done"
            }
            Rule::RequireConcurrentIndexDeletion => {
                "DROP INDEX takes an ACCESS EXCLUSIVE lock on the table: reads and writes wait, and queue behind any long query"
            }
            Rule::DisallowedUniqueConstraint => {
                "adding a UNIQUE constraint builds its index under an ACCESS EXCLUSIVE lock: reads and writes wait for the whole build"
            }
            Rule::AddingPrimaryKeyConstraint => {
                "adding a PRIMARY KEY builds its index under an ACCESS EXCLUSIVE lock: reads and writes wait for the whole build"
            }
            Rule::AddingForeignKeyConstraint => {
                "adding a foreign key scans the table to validate it while holding SHARE ROW EXCLUSIVE locks on both tables: writes to either wait"
            }
            Rule::ConstraintMissingNotValid => {
                "a constraint added without NOT VALID (or validated in the transaction that added it) scans the whole table while writes wait"
            }
            Rule::AddingNotNullableField => {
                "SET NOT NULL scans the whole table under an ACCESS EXCLUSIVE lock: reads and writes wait"
            }
            Rule::AddingRequiredField => {
                "a NOT NULL column without a default fails on a table with rows, and breaks code that inserts without it"
            }
            Rule::AddingFieldWithDefault => {
                "a volatile default, an identity or a stored generated column makes PostgreSQL rewrite the whole table under an ACCESS EXCLUSIVE lock"
            }
            Rule::ChangingColumnType => {
                "changing a column's type rewrites the table (and its indexes) under an ACCESS EXCLUSIVE lock, and may break code that reads the column"
            }
            Rule::NarrowingColumnType => {
                "the new type holds less than the old one: the migration fails on rows that do not fit, or loses data"
            }
            Rule::RemovingEnumValue => {
                "rows that hold a removed value make the migration fail; code that still writes it breaks"
            }
            Rule::BanDropColumn => {
                "the column's data is gone, and running code that still reads or writes it fails"
            }
            Rule::BanDropTable => {
                "the table's data is gone, and running code that still uses it fails"
            }
            Rule::BanDropSequence => {
                "the sequence's position is gone, and anything that still calls nextval() on it fails"
            }
            Rule::RenamingColumn => {
                "running code that uses the old column name fails from the moment the migration commits"
            }
            Rule::RenamingTable => {
                "running code that uses the old table name fails from the moment the migration commits"
            }
            Rule::BanConcurrentIndexCreationInTransaction => {
                "CREATE / DROP INDEX CONCURRENTLY cannot run inside a transaction block: PostgreSQL refuses it"
            }
            Rule::RequireLockTimeout => {
                "without a lock_timeout, a statement waiting for its lock behind a long query blocks every query queued behind it"
            }
        }
    }

    /// The safe way to get the same result.
    pub fn fix(self) -> &'static str {
        match self {
            Rule::RequireConcurrentIndexCreation => {
                "create it with postgresql_concurrently=True inside `with op.get_context().autocommit_block():` (migdiff autogenerate --online writes this)"
            }
            Rule::RequireConcurrentIndexDeletion => {
                "drop it with postgresql_concurrently=True inside `with op.get_context().autocommit_block():`"
            }
            Rule::DisallowedUniqueConstraint => {
                "build a unique index CONCURRENTLY first, then ADD CONSTRAINT ... UNIQUE USING INDEX"
            }
            Rule::AddingPrimaryKeyConstraint => {
                "build a unique index CONCURRENTLY first, then ADD CONSTRAINT ... PRIMARY KEY USING INDEX"
            }
            Rule::AddingForeignKeyConstraint => {
                "add it with postgresql_not_valid=True, then VALIDATE CONSTRAINT after the commit (inside an autocommit_block)"
            }
            Rule::ConstraintMissingNotValid => {
                "add it NOT VALID (postgresql_not_valid=True) and VALIDATE CONSTRAINT in a later transaction (an autocommit_block)"
            }
            Rule::AddingNotNullableField => {
                "add a CHECK (col IS NOT NULL) NOT VALID, VALIDATE it after the commit, then SET NOT NULL (PostgreSQL 12+ uses the check instead of scanning) and drop the check"
            }
            Rule::AddingRequiredField => {
                "add the column nullable (or with a constant server_default), backfill it, then make it NOT NULL"
            }
            Rule::AddingFieldWithDefault => {
                "add the column without the default, set the default in a second step, and backfill existing rows in batches"
            }
            Rule::ChangingColumnType => {
                "expand and contract: add a column of the new type, write both from the code, backfill in batches, switch reads, then drop the old column"
            }
            Rule::NarrowingColumnType => "check that every row fits first, or keep the wider type",
            Rule::RemovingEnumValue => {
                "move rows off the value (and stop writing it) in an earlier deploy"
            }
            Rule::BanDropColumn => {
                "stop using the column in the code and deploy that first; drop it in a later migration"
            }
            Rule::BanDropTable => {
                "stop using the table in the code and deploy that first; drop it in a later migration"
            }
            Rule::BanDropSequence => {
                "make sure nothing uses the sequence any more; drop it in a later migration"
            }
            Rule::RenamingColumn => {
                "add the new column, write both, backfill, switch reads, then drop the old one"
            }
            Rule::RenamingTable => {
                "create the new table (or a view under the old name), move the code over, then drop the old name"
            }
            Rule::BanConcurrentIndexCreationInTransaction => {
                "run it inside `with op.get_context().autocommit_block():`"
            }
            Rule::RequireLockTimeout => {
                "start the upgrade with op.execute(\"SET lock_timeout = '5s'\") so that a blocked statement gives up instead of stalling the table"
            }
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::Rule;

    #[test]
    fn names_are_unique_and_read_back() {
        let mut names: Vec<&str> = Rule::ALL.iter().map(|r| r.name()).collect();
        for r in Rule::ALL {
            assert_eq!(Rule::from_name(r.name()), Some(*r));
        }
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Rule::ALL.len());
    }
}
