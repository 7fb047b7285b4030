//! The objects beyond tables as alembic_utils writes them, for models that
//! declare theirs as alembic_utils entities: the entity spelled out, then
//! `op.create_entity`, `op.replace_entity` or `op.drop_entity`; what
//! alembic_utils has no entity for (a comment, an index of a materialized
//! view, a trigger's enabled state, an owner) follows as its own op.

use migdiff_model::{Entity, EntityObject, ObjectRef, TriggerEnabled};

use super::*;

impl Ctx<'_> {
    /// The lines of an object op in alembic_utils' form; `None` where the
    /// models declare no entities or the dialect has none for the object.
    pub(super) fn entity_lines(&mut self, op: &Op) -> Option<Vec<String>> {
        if !self.opts.hints.is_some_and(|h| h.alembic_utils) {
            return None;
        }
        let mut out = Vec::new();
        let extras: Vec<Op> = match op {
            Op::CreateView(v) => {
                out.extend(self.entity_call("create_entity", EntityObject::View(v))?);
                let object = v.object_ref();
                let mut extras: Vec<Op> = v
                    .indexes
                    .iter()
                    .map(|index| Op::CreateIndex {
                        table: v.name.clone(),
                        index: index.clone(),
                    })
                    .collect();
                extras.extend(comment_and_owner(object, &v.comment, &v.owner));
                extras
            }
            Op::DropView(v) => {
                out.extend(self.entity_call("drop_entity", EntityObject::View(v))?);
                Vec::new()
            }
            Op::ReplaceView { to, .. } => {
                out.extend(self.entity_call("replace_entity", EntityObject::View(to))?);
                Vec::new()
            }
            Op::CreateFunction(f) => {
                out.extend(self.entity_call("create_entity", EntityObject::Function(f))?);
                comment_and_owner(f.object_ref(), &f.comment, &f.owner)
            }
            Op::DropFunction(f) => {
                out.extend(self.entity_call("drop_entity", EntityObject::Function(f))?);
                Vec::new()
            }
            Op::ReplaceFunction { to, .. } => {
                out.extend(self.entity_call("replace_entity", EntityObject::Function(to))?);
                Vec::new()
            }
            Op::RecreateFunction { from, to } => {
                let drop = self.entity_call("drop_entity", EntityObject::Function(from))?;
                let create = self.entity_call("create_entity", EntityObject::Function(to))?;
                out.extend(drop);
                out.extend(create);
                comment_and_owner(to.object_ref(), &to.comment, &to.owner)
            }
            Op::CreateTrigger(t) => {
                out.extend(self.entity_call("create_entity", EntityObject::Trigger(t))?);
                let mut extras = Vec::new();
                if t.enabled != TriggerEnabled::Origin {
                    extras.push(Op::SetTriggerEnabled {
                        trigger: t.id.clone(),
                        from: TriggerEnabled::Origin,
                        to: t.enabled,
                    });
                }
                extras.extend(comment_and_owner(
                    ObjectRef::Trigger(t.id.clone()),
                    &t.comment,
                    &None,
                ));
                extras
            }
            Op::DropTrigger(t) => {
                out.extend(self.entity_call("drop_entity", EntityObject::Trigger(t))?);
                Vec::new()
            }
            Op::CreateExtension(e) if e.version.is_none() => {
                out.extend(self.entity_call("create_entity", EntityObject::Extension(e))?);
                comment_and_owner(ObjectRef::Extension(e.name.clone()), &e.comment, &None)
            }
            Op::DropExtension(e) => {
                out.extend(self.entity_call("drop_entity", EntityObject::Extension(e))?);
                Vec::new()
            }
            _ => return None,
        };
        for extra in &extras {
            out.extend(self.op_lines_plain(extra));
        }
        Some(out)
    }

    /// `var = Class(...)` and `op.<verb>(var)`.
    fn entity_call(&mut self, verb: &str, object: EntityObject<'_>) -> Option<Vec<String>> {
        let Entity {
            class,
            module,
            variable,
            args,
        } = self.opts.dialect.alembic_utils_entity(object)?;
        self.imports.insert(format!("from {module} import {class}"));
        let args: Vec<String> = args
            .into_iter()
            // A multi-line literal's lines are its text: never indented.
            .map(|(k, v)| format!("{k}={}", v.replace('\n', &format!("\n{VERBATIM_LINE}"))))
            .collect();
        Some(vec![
            format!("{variable} = {class}(\n    {}\n)", args.join(",\n    ")),
            format!("op.{verb}({variable})"),
        ])
    }
}

/// The comment and the owner of a created object, as ops of their own.
fn comment_and_owner(
    object: ObjectRef,
    comment: &Option<String>,
    owner: &Option<String>,
) -> Vec<Op> {
    let mut out = Vec::new();
    if comment.is_some() {
        out.push(Op::SetObjectComment {
            object: object.clone(),
            from: None,
            to: comment.clone(),
        });
    }
    if let Some(o) = owner {
        out.push(Op::SetOwner {
            object,
            from: o.clone(),
            to: o.clone(),
        });
    }
    out
}
