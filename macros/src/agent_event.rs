//! `#[agent_event]`: a struct with named fields becomes an event type with a
//! wire name and a typestate builder that `emit!` drives. A required field
//! left out is reported through `RequiredField<Event, field>`, where
//! `field` is a unit struct named after the field, so the diagnostic names it.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::parse::{Parse, ParseStream, Parser};
use syn::spanned::Spanned;
use syn::{Fields, Item, ItemStruct, Token, Type};

use crate::names;

pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let args = match Parser::parse2(Args::parse, args) {
        Ok(args) => args,
        Err(err) => return with_original(err, item),
    };
    let item: Item = match syn::parse2(item.clone()) {
        Ok(item) => item,
        // Leave the item to rustc, which reports its own syntax error.
        Err(_) => return item,
    };
    match check(&args, item) {
        Ok(event) => generate(&args, &event),
        Err((err, item)) => with_original(err, item),
    }
}

fn with_original(err: syn::Error, item: TokenStream) -> TokenStream {
    let err = err.to_compile_error();
    quote!(#item #err)
}

#[derive(Default)]
pub(crate) struct Args {
    name: Option<syn::LitStr>,
    krate: Option<syn::Path>,
    /// Reserved for the five lifecycle events declared inside `agentwire`.
    lifecycle: bool,
}

impl Parse for Args {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut args = Args::default();
        while !input.is_empty() {
            let lookahead = input.lookahead1();
            if lookahead.peek(kw::name) {
                let key: kw::name = input.parse()?;
                crate::agent::expect_value(input, key.span, "name = \"progress_update\"")?;
                if args.name.is_some() {
                    return Err(syn::Error::new(key.span, "`name` is given twice"));
                }
                args.name = Some(input.parse()?);
            } else if lookahead.peek(Token![crate]) {
                let key: Token![crate] = input.parse()?;
                crate::agent::expect_value(input, key.span, "crate = ::agentwire")?;
                if args.krate.is_some() {
                    return Err(syn::Error::new(key.span, "`crate` is given twice"));
                }
                args.krate = Some(input.call(syn::Path::parse_mod_style)?);
            } else if lookahead.peek(kw::__lifecycle) {
                input.parse::<kw::__lifecycle>()?;
                args.lifecycle = true;
            } else {
                let _ = lookahead;
                let unknown: proc_macro2::TokenTree = input.parse()?;
                return Err(syn::Error::new(
                    unknown.span(),
                    format!("unknown argument `{unknown}`: #[agent_event] accepts `name = \"..\"` and `crate = path`"),
                ));
            }
            if !input.is_empty() {
                input.parse::<Token![,]>()?;
            }
        }
        Ok(args)
    }
}

mod kw {
    syn::custom_keyword!(name);
    syn::custom_keyword!(__lifecycle);
}

struct EventField {
    ident: syn::Ident,
    /// The value type: `T` for `T` and for `Option<T>`.
    ty: Type,
    optional: bool,
}

pub(crate) struct Event {
    item: ItemStruct,
    wire: String,
    fields: Vec<EventField>,
}

fn option_inner(ty: &Type) -> Option<&Type> {
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

fn check(args: &Args, item: Item) -> Result<Event, (syn::Error, TokenStream)> {
    // The item is kept (with the lint allowance a declared event gets) so
    // that code using it draws no second error.
    let fail = |span: Span, msg: String, item: &dyn quote::ToTokens| {
        Err((
            syn::Error::new(span, msg),
            quote!(#[allow(non_camel_case_types)] #item),
        ))
    };
    let item = match item {
        Item::Struct(s) => s,
        Item::Enum(e) => {
            return fail(
                e.enum_token.span,
                "#[agent_event] goes on a struct with named fields, one struct per event; an enum cannot be emitted".into(),
                &e,
            )
        }
        Item::Union(u) => {
            return fail(
                u.union_token.span,
                "#[agent_event] goes on a struct with named fields, not a union".into(),
                &u,
            )
        }
        other => {
            return fail(
                other.span(),
                "#[agent_event] goes on a struct with named fields: `struct progress_update { percent: u8 }`".into(),
                &other,
            )
        }
    };
    if !item.generics.params.is_empty() || item.generics.where_clause.is_some() {
        let msg = "an event type cannot be generic: give its fields concrete types";
        let err = match &item.generics.where_clause {
            Some(clause) if item.generics.params.is_empty() => syn::Error::new_spanned(clause, msg),
            _ => syn::Error::new_spanned(&item.generics, msg),
        };
        return Err((err, quote!(#[allow(non_camel_case_types)] #item)));
    }
    let fields = match &item.fields {
        Fields::Named(named) => named
            .named
            .iter()
            .map(|f| {
                let ty = option_inner(&f.ty);
                EventField {
                    ident: f.ident.clone().expect("named field"),
                    ty: ty.unwrap_or(&f.ty).clone(),
                    optional: ty.is_some(),
                }
            })
            .collect(),
        Fields::Unnamed(_) => {
            return fail(
                item.fields.span(),
                format!(
                    "event fields need names, which become the payload's keys: `struct {} {{ name: Type }}`",
                    item.ident
                ),
                &item,
            )
        }
        Fields::Unit => Vec::new(),
    };
    let (wire, wire_span) = match &args.name {
        Some(lit) => (lit.value(), lit.span()),
        None => (
            names::snake_case(&item.ident.to_string()),
            item.ident.span(),
        ),
    };
    if let Some(why) = names::invalid_wire_name(&wire) {
        return fail(
            wire_span,
            format!("{wire:?} cannot be an event's wire name: {why} (as in `progress_update`)"),
            &item,
        );
    }
    let reserved = names::lifecycle(&wire).is_some() || names::event_alias(&wire).is_some();
    if reserved && !args.lifecycle {
        return fail(
            wire_span,
            format!(
                "`{wire}` is reserved for agentwire's lifecycle events; a custom event needs a name of its own, such as `progress_update`"
            ),
            &item,
        );
    }
    if names::PROTOCOL_TYPES.contains(&wire.as_str()) {
        return fail(
            wire_span,
            format!("`{wire}` is a message type of the wire protocol; give the event another name"),
            &item,
        );
    }
    Ok(Event { item, wire, fields })
}

fn generate(args: &Args, event: &Event) -> TokenStream {
    let krate = match &args.krate {
        Some(path) => quote!(#path),
        None => quote!(::agentwire),
    };
    let item = &event.item;
    let ident = &item.ident;
    let vis = &item.vis;
    let wire = &event.wire;
    let builder = format_ident!("__AgentwireBuilder_{}", ident);
    let span = ident.span();

    // The builder carries one type parameter per field: `Unset` until the
    // field is given, then `Set<T>` (required) or `Option<T>` (optional).
    let params: Vec<syn::Ident> = (0..event.fields.len())
        .map(|i| format_ident!("__F{}", i))
        .collect();
    let unset = event
        .fields
        .iter()
        .map(|_| quote!(#krate::__private::Unset));
    let field_idents: Vec<&syn::Ident> = event.fields.iter().map(|f| &f.ident).collect();

    let setters = event.fields.iter().enumerate().map(|(i, f)| {
        let name = &f.ident;
        let ty = &f.ty;
        let out_params = params.iter().enumerate().map(|(j, p)| {
            if i == j {
                quote!(#krate::__private::Set<#ty>)
            } else {
                quote!(#p)
            }
        });
        let moves = field_idents.iter().enumerate().map(|(j, other)| {
            if i == j {
                quote!(#other: #krate::__private::Set(#krate::__private::IntoField::into_field(value)))
            } else {
                quote!(#other: self.#other)
            }
        });
        quote_spanned! {name.span()=>
            #[inline]
            #[allow(clippy::all)]
            #vis fn #name(self, value: impl #krate::__private::IntoField<#ty>) -> #builder<#(#out_params),*> {
                #builder { #(#moves),* }
            }
        }
    });

    // A required field left out is reported through
    // `RequiredField<Event, FieldMarker>`, whose message names the field by
    // the marker type's name: one unit struct per required field.
    let fields_mod = format_ident!("__agentwire_fields_of_{}", ident);
    let mut markers = Vec::new();
    let mut bounds = Vec::new();
    let mut takes = Vec::new();
    for (f, p) in event.fields.iter().zip(&params) {
        let name = &f.ident;
        let ty = &f.ty;
        if f.optional {
            bounds.push(quote!(#p: #krate::__private::OptionalField<#ty>));
            takes.push(quote!(#name: #krate::__private::OptionalField::<#ty>::take(self.#name)));
        } else {
            markers.push(quote!(pub struct #name;));
            let required =
                quote!(#krate::__private::RequiredField<#ident, #fields_mod::#name, Value = #ty>);
            bounds.push(quote!(#p: #required));
            takes.push(quote!(#name: #krate::__private::RequiredField::<#ident, #fields_mod::#name>::take(self.#name)));
        }
    }

    // Lifecycle events are never what a user's missing `#[agent_event]`
    // should be compared with. (Generated code in user crates cannot carry
    // `#[diagnostic::..]`: the namespace is missing under
    // `#![no_implicit_prelude]`.)
    let recommend = if args.lifecycle {
        quote!(#[diagnostic::do_not_recommend])
    } else {
        quote!()
    };
    let (serde_attrs, custom_impl) = if args.lifecycle {
        (quote!(), quote!())
    } else {
        let serde_path = format!("{}::__private::serde", krate.to_string().replace(' ', ""));
        (
            quote! {
                #[derive(#krate::__private::serde::Serialize)]
                #[serde(crate = #serde_path)]
            },
            quote! {
                impl #krate::__private::CustomEvent for #ident {}
            },
        )
    };
    // Event types are named like their wire type (`progress_update`).
    let mut item = item.clone();
    item.attrs
        .push(syn::parse_quote!(#[allow(non_camel_case_types)]));
    // Optional fields are left out of the payload when not given.
    if !args.lifecycle {
        if let Fields::Named(named) = &mut item.fields {
            for field in named.named.iter_mut() {
                if option_inner(&field.ty).is_some() {
                    field.attrs.push(syn::parse_quote!(
                        #[serde(skip_serializing_if = "::core::option::Option::is_none")]
                    ));
                }
            }
        }
    }

    quote_spanned! {span=>
        #serde_attrs
        #item

        #[doc(hidden)]
        #[allow(non_camel_case_types, missing_docs)]
        #vis struct #builder<#(#params),*> {
            #(#field_idents: #params,)*
        }

        #[doc(hidden)]
        #[allow(non_camel_case_types, non_snake_case, missing_docs, dead_code)]
        #vis mod #fields_mod {
            #(#markers)*
        }

        #[allow(non_camel_case_types)]
        impl<#(#params),*> #builder<#(#params),*> {
            #(#setters)*

            #[doc(hidden)]
            #[inline]
            #[allow(missing_docs)]
            #vis fn __agentwire_finish(self) -> #ident
            where
                #(#bounds,)*
            {
                #ident { #(#takes,)* }
            }
        }

        #recommend
        impl #krate::__private::Event for #ident {
            const NAME: &'static str = #wire;
            type Builder = #builder<#(#unset),*>;
            #[inline]
            fn builder() -> Self::Builder {
                #builder { #(#field_idents: #krate::__private::Unset,)* }
            }
        }

        #custom_impl
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &str, item: &str) -> String {
        expand(args.parse().unwrap(), item.parse().unwrap()).to_string()
    }

    #[test]
    fn generates_builder_markers_and_wire_name() {
        let out = run(
            "",
            "pub struct progress_update { pub percent: u8, pub note: Option<String> }",
        );
        assert!(out.contains("__AgentwireBuilder_progress_update"), "{out}");
        assert!(
            out.contains("__agentwire_fields_of_progress_update :: percent"),
            "{out}"
        );
        assert!(
            !out.contains("__agentwire_fields_of_progress_update :: note"),
            "{out}"
        );
        assert!(
            out.contains("const NAME : & 'static str = \"progress_update\""),
            "{out}"
        );
        assert!(out.contains("CustomEvent for progress_update"), "{out}");
        assert!(out.contains("skip_serializing_if"), "{out}");
        assert!(!out.contains("compile_error"), "{out}");
    }

    #[test]
    fn camel_case_types_get_snake_case_wire_names() {
        let out = run("", "struct ProgressUpdate { percent: u8 }");
        assert!(out.contains("\"progress_update\""), "{out}");
        let out = run(
            "name = \"step_done\"",
            "struct ProgressUpdate { percent: u8 }",
        );
        assert!(out.contains("\"step_done\""), "{out}");
    }

    #[test]
    fn crate_path_is_used_everywhere() {
        let out = run("crate = ::aw", "struct e { x: u8 }");
        assert!(out.contains(":: aw :: __private :: Event"), "{out}");
        assert!(out.contains(":: aw :: __private :: RequiredField"), "{out}");
        assert!(!out.contains(":: agentwire ::"), "{out}");
    }

    fn error(args: &str, item: &str) -> String {
        let out = run(args, item);
        assert!(out.contains("compile_error"), "expected an error: {out}");
        out
    }

    #[test]
    fn rejects_wrong_items() {
        assert!(error("", "enum e { A }").contains("an enum cannot be emitted"));
        assert!(error("", "union u { a: u8 }").contains("not a union"));
        assert!(error("", "struct e(u8);").contains("need names"));
        assert!(error("", "struct e<T> { t: T }").contains("cannot be generic"));
        assert!(error("", "struct e where u8: Copy { t: u8 }").contains("cannot be generic"));
        assert!(error("", "fn f() {}").contains("struct with named fields"));
    }

    #[test]
    fn rejects_reserved_and_invalid_names() {
        assert!(error("", "struct agent_thinking { reasoning: String }").contains("reserved"));
        assert!(error("", "struct tool_result { r: u8 }").contains("reserved"));
        assert!(error("name = \"pong\"", "struct p { }").contains("wire protocol"));
        assert!(
            error("name = \"Bad-Name\"", "struct p { }").contains("cannot be an event's wire name")
        );
    }

    #[test]
    fn rejects_bad_arguments() {
        assert!(error("nam = \"x\"", "struct p { }").contains("unknown argument `nam"));
        assert!(error("name = \"a\", name = \"b\"", "struct p { }").contains("given twice"));
        assert!(error("name", "struct p { }").contains("takes a value"));
    }

    #[test]
    fn errors_keep_the_item() {
        let out = error("", "struct e(u8);");
        assert!(out.contains("struct e (u8)"), "{out}");
    }
}
