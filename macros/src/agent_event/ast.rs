//! The event as the macro sees it: a struct, its wire name and its fields.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{Fields, Item, ItemStruct, Type};

use crate::args::Args;
use crate::text;

pub(crate) struct Event {
    pub(crate) item: ItemStruct,
    pub(crate) wire: String,
    pub(crate) wire_span: Span,
    pub(crate) fields: Vec<EventField>,
}

pub(crate) struct EventField {
    pub(crate) ident: syn::Ident,
    /// The value type: `T` for `T` and for `Option<T>`.
    pub(crate) ty: Type,
    pub(crate) optional: bool,
}

impl Event {
    /// The event, or why `item` cannot be one.
    pub(crate) fn from_item(args: &Args, item: &Item) -> syn::Result<Event> {
        let fail = |span: Span, msg: String| Err(syn::Error::new(span, msg));
        let item = match item {
            Item::Struct(s) => s.clone(),
            Item::Enum(e) => {
                return fail(
                    e.enum_token.span,
                    "#[agent_event] goes on a struct with named fields, one struct per event; an enum cannot be emitted".into(),
                )
            }
            Item::Union(u) => {
                return fail(
                    u.union_token.span,
                    "#[agent_event] goes on a struct with named fields, not a union".into(),
                )
            }
            other => {
                return fail(
                    other.span(),
                    "#[agent_event] goes on a struct with named fields: `struct progress_update { percent: u8 }`".into(),
                )
            }
        };
        let fields = match &item.fields {
            Fields::Named(named) => named
                .named
                .iter()
                .map(|f| {
                    let inner = option_inner(&f.ty);
                    EventField {
                        ident: f.ident.clone().expect("named field"),
                        ty: inner.unwrap_or(&f.ty).clone(),
                        optional: inner.is_some(),
                    }
                })
                .collect(),
            Fields::Unnamed(_) => {
                let msg = format!(
                    "event fields need names, which become the payload's keys: `struct {} {{ name: Type }}`",
                    item.ident
                );
                return fail(item.fields.span(), msg);
            }
            Fields::Unit => Vec::new(),
        };
        let (wire, wire_span) = match &args.name {
            Some(lit) => (lit.value(), lit.span()),
            None => (text::snake_case(&item.ident.to_string()), item.ident.span()),
        };
        Ok(Event {
            item,
            wire,
            wire_span,
            fields,
        })
    }

    /// Whether the builder can be generated: not for a generic struct.
    pub(crate) fn is_generic(&self) -> bool {
        let generics = &self.item.generics;
        !generics.params.is_empty() || generics.where_clause.is_some()
    }
}

pub(crate) fn option_inner(ty: &Type) -> Option<&Type> {
    let Type::Path(path) = ty else { return None };
    let last = path.path.segments.last()?;
    if last.ident != "Option" {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first() {
        Some(syn::GenericArgument::Type(inner)) if args.args.len() == 1 => Some(inner),
        _ => None,
    }
}
