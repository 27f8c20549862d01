//! What a declared event must satisfy; every violation is reported.

use super::ast::Event;
use crate::args::Args;
use crate::errors::Errors;
use crate::names;

pub(crate) fn validate(args: &Args, event: &Event) -> syn::Result<()> {
    let mut errors = Errors::default();
    if event.is_generic() {
        let generics = &event.item.generics;
        let msg = "an event type cannot be generic: give its fields concrete types";
        errors.push(match &generics.where_clause {
            Some(clause) if generics.params.is_empty() => syn::Error::new_spanned(clause, msg),
            _ => syn::Error::new_spanned(generics, msg),
        });
    }
    let wire = event.wire.as_str();
    let at_name = |msg: String| syn::Error::new(event.wire_span, msg);
    if let Some(why) = names::invalid_wire_name(wire) {
        errors.push(at_name(format!(
            "{wire:?} cannot be an event's wire name: {why} (as in `progress_update`)"
        )));
    }
    let reserved = names::lifecycle(wire).is_some() || names::event_alias(wire).is_some();
    if reserved && !args.lifecycle {
        errors.push(at_name(format!(
            "`{wire}` is reserved for agentwire's lifecycle events; a custom event needs a name of its own, such as `progress_update`"
        )));
    }
    if names::PROTOCOL_TYPES.contains(&wire) {
        errors.push(at_name(format!(
            "`{wire}` is a message type of the wire protocol; give the event another name"
        )));
    }
    if args.lifecycle {
        errors.take(matches_table(event));
    }
    errors.finish()
}

/// A lifecycle struct declares exactly the table's fields, in its order,
/// `Option<_>` exactly where the table says optional: the structs in
/// `agentwire::events` cannot drift from what `emit!` checks against.
fn matches_table(event: &Event) -> syn::Result<()> {
    let Some(l) = names::lifecycle(&event.wire) else {
        return Err(syn::Error::new(
            event.wire_span,
            format!(
                "`{}` is not in the lifecycle table (macros/src/names.rs); the lifecycle events are {}",
                event.wire,
                names::LIFECYCLE
                    .iter()
                    .map(|l| format!("`{}`", l.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    };
    let declared = event
        .fields
        .iter()
        .map(|f| (f.ident.to_string(), !f.optional));
    let table = l.fields.iter().map(|f| (f.name.to_string(), f.required));
    if declared.eq(table) {
        return Ok(());
    }
    let expected = l
        .fields
        .iter()
        .map(|f| {
            if f.required {
                format!("{}: T", f.name)
            } else {
                format!("{}: Option<T>", f.name)
            }
        })
        .collect::<Vec<_>>()
        .join(", ");
    Err(syn::Error::new(
        event.item.ident.span(),
        format!(
            "`{}` drifted from the lifecycle table (macros/src/names.rs): declare exactly `{{ {expected} }}`, in that order, or change the table, the payload writer and the README's payload table with it",
            l.name
        ),
    ))
}
