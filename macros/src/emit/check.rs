//! Resolves `emit!`'s event against the vocabulary and checks its fields.
//! Every mistake is collected; what passes is a model generation cannot
//! fail on.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{Expr, FieldValue, Ident, Member, Path};

use super::parse::{EmitInput, EventSpec};
use crate::errors::Errors;
use crate::names::{self, Kind, Lifecycle};
use crate::text;

/// A checked `emit!`.
pub(crate) struct Emit<'a> {
    pub(crate) target: &'a Expr,
    pub(crate) event: Event<'a>,
    pub(crate) brace_span: Span,
    pub(crate) fields: Vec<Field<'a>>,
}

pub(crate) enum Event<'a> {
    Lifecycle(&'static Lifecycle, Span),
    /// A user's `#[agent_event]`, named by its path; rustc checks its fields.
    Custom(&'a Path),
}

pub(crate) struct Field<'a> {
    pub(crate) name: &'a Ident,
    pub(crate) value: &'a Expr,
    pub(crate) kind: Kind,
}

pub(crate) fn check(input: &EmitInput) -> syn::Result<Emit<'_>> {
    let (path, brace_span, fields) = match &input.event {
        EventSpec::Named {
            path,
            brace_span,
            fields,
        } => (path, *brace_span, fields),
        EventSpec::Value { event, written, .. } => return Err(event_as_value(event, written)),
    };
    let mut errors = Errors::default();
    let event = errors.take(resolve(path));
    let lifecycle = match &event {
        Some(Event::Lifecycle(l, _)) => Some(*l),
        _ => None,
    };
    let fields = check_fields(&mut errors, fields, lifecycle, brace_span);
    errors.finish()?;
    Ok(Emit {
        target: &input.target,
        event: event.expect("no error, so resolved"),
        brace_span,
        fields,
    })
}

/// `emit!(target, "agent_started", data)` and every other event given as a
/// value: the target-specific forms are added by the type system (see the
/// fallback), this message says what was wrong with what was written.
fn event_as_value(event: &Expr, written: &str) -> syn::Error {
    let hint = match event {
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(s),
            ..
        }) => {
            let value = s.value();
            match names::lifecycle(&value).or_else(|| names::event_alias(&value)) {
                Some(l) => format!(" (`{written}` is the event `{}`: write `{}`)", l.name, l.example),
                None if names::invalid_wire_name(&value).is_none() => format!(
                    " (a custom event is a type declared with `#[agent_event]`: `emit!(run, {value} {{ .. }})`)"
                ),
                None => String::new(),
            }
        }
        _ => String::new(),
    };
    syn::Error::new(
        event.span(),
        format!(
            "`emit!` takes the event by name with its fields, `event_name {{ field: .. }}`, not as a string or a value: `{written}` cannot be checked at compile time{hint}"
        ),
    )
}

fn resolve(path: &Path) -> syn::Result<Event<'_>> {
    let Some(ident) = path.get_ident() else {
        return Ok(Event::Custom(path));
    };
    let name = ident.to_string();
    if let Some(l) = names::lifecycle(&name) {
        return Ok(Event::Lifecycle(l, ident.span()));
    }
    if let Some(l) = names::event_alias(&name) {
        return Err(syn::Error::new(
            ident.span(),
            format!(
                "`{name}` is not an event: the lifecycle event is `{}`; write `{}`",
                l.name, l.example
            ),
        ));
    }
    if let Some(l) = text::did_you_mean(&name, names::LIFECYCLE.iter().map(|l| l.name))
        .and_then(names::lifecycle)
    {
        return Err(syn::Error::new(
            ident.span(),
            format!(
                "unknown event `{name}`; did you mean `{}`? write `{}`",
                l.name, l.example
            ),
        ));
    }
    Ok(Event::Custom(path))
}

fn field_name(field: &FieldValue) -> syn::Result<&Ident> {
    match &field.member {
        Member::Named(ident) => Ok(ident),
        Member::Unnamed(index) => Err(syn::Error::new(
            index.span(),
            "event fields are named: write `name: value`",
        )),
    }
}

fn check_fields<'a>(
    errors: &mut Errors,
    fields: &'a [FieldValue],
    lifecycle: Option<&'static Lifecycle>,
    brace_span: Span,
) -> Vec<Field<'a>> {
    let mut checked: Vec<Field<'a>> = Vec::new();
    // Fields an unknown name was meant as: not reported missing as well.
    let mut meant_fields: Vec<&str> = Vec::new();
    // With a positional field, which field was meant is unknown: no
    // "missing" report then.
    let mut positional = false;
    for field in fields {
        let Some(ident) = errors.take(field_name(field)) else {
            positional = true;
            continue;
        };
        if checked.iter().any(|f| f.name == ident) {
            errors.push(syn::Error::new(
                ident.span(),
                format!("field `{ident}` is given twice; give each field once"),
            ));
            continue;
        }
        let kind = match lifecycle {
            None => Kind::Value,
            Some(l) => match l.fields.iter().find(|f| ident == f.name) {
                Some(f) => f.kind,
                None => {
                    let (error, meant) = unknown_field(l, ident);
                    meant_fields.extend(meant);
                    errors.push(error);
                    continue;
                }
            },
        };
        if kind == Kind::AgentName {
            errors.take(check_agent_name(&field.expr));
        }
        checked.push(Field {
            name: ident,
            value: &field.expr,
            kind,
        });
    }
    if let Some(l) = lifecycle.filter(|_| !positional) {
        let missing: Vec<String> = l
            .fields
            .iter()
            .filter(|f| f.required && !checked.iter().any(|c| c.name == f.name))
            .filter(|f| !meant_fields.contains(&f.name))
            .map(|f| format!("`{}: ..`", f.name))
            .collect();
        if !missing.is_empty() {
            errors.push(syn::Error::new(
                brace_span,
                format!(
                    "`{}` is missing {}: write `{}`",
                    l.name,
                    missing.join(" and "),
                    l.example
                ),
            ));
        }
    }
    checked
}

/// The error for a field `l` does not have, and the field it was meant as.
fn unknown_field(l: &Lifecycle, ident: &Ident) -> (syn::Error, Option<&'static str>) {
    let name = ident.to_string();
    if let Some(new) = names::field_alias(l.name, &name) {
        let msg = format!(
            "`{name}` was renamed: write `{new}: ..`, as in `{}`",
            example_with_field(l, new)
        );
        return (syn::Error::new(ident.span(), msg), Some(new));
    }
    let close = text::did_you_mean(&name, l.fields.iter().map(|f| f.name));
    let hint = close
        .map(|c| format!(" (did you mean `{c}`?)"))
        .unwrap_or_default();
    let msg = format!(
        "`{}` has no field `{name}`{hint}; its fields are {}",
        l.name,
        names::field_list(l)
    );
    (syn::Error::new(ident.span(), msg), close)
}

fn example_with_field(l: &Lifecycle, field: &str) -> String {
    if l.example.contains(&format!("{field}:")) {
        l.example.to_string()
    } else {
        l.example.replace("{ ", &format!("{{ {field}: .., "))
    }
}

/// A literal agent name is checked here; any other value must be an
/// `AgentName`, which the type system checks.
fn check_agent_name(value: &Expr) -> syn::Result<()> {
    let Expr::Lit(syn::ExprLit {
        lit: syn::Lit::Str(lit),
        ..
    }) = value
    else {
        return Ok(());
    };
    match names::invalid_agent_name(&lit.value()) {
        None => Ok(()),
        Some(why) => Err(syn::Error::new(
            lit.span(),
            format!(
                "`agent_name` cannot be {lit:?}: {why}; name the agent, as in `agent_started {{ agent_name: \"researcher\" }}`",
                lit = lit.value()
            ),
        )),
    }
}

/// Whether `value` is a string literal (passed to the builder as written).
pub(crate) fn is_str_literal(value: &Expr) -> bool {
    matches!(
        value,
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(_),
            ..
        })
    )
}
