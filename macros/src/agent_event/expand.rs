//! The event's code: the struct (with serde for custom events), a typestate
//! builder with one setter per field, one marker type per required field,
//! and the `Event` impl `emit!` dispatches through.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::{Fields, Item};

use super::ast::{option_inner, Event, EventField};
use crate::args::{with_original, Args};

pub(crate) fn generate(args: &Args, event: &Event) -> TokenStream {
    let krate = args.krate();
    let ident = &event.item.ident;
    let span = ident.span();
    let item = declared_item(args, event);
    let builder = builder(&krate, event);
    let event_impl = event_impl(&krate, args, event);
    let custom = if args.lifecycle {
        quote!()
    } else {
        quote!(impl #krate::__private::CustomEvent for #ident {})
    };
    quote_spanned! {span=>
        #item
        #builder
        #event_impl
        #custom
    }
}

/// After a failed check: the errors, the item, and what `emit!` needs of
/// it, so that code using the event draws no second error (as thiserror's
/// fallback emits stub impls). A generic struct gets a stub `Event` impl.
pub(crate) fn fallback(args: &Args, event: &Event, error: syn::Error) -> TokenStream {
    let tokens = if event.is_generic() {
        stub_event_impl(args, &Item::Struct(event.item.clone()))
    } else {
        generate(args, event)
    };
    with_original(error, tokens)
}

/// An enum, union, tuple struct or other item: kept, with a stub `Event`
/// impl where it is a type.
pub(crate) fn not_a_struct(args: &Args, error: syn::Error, item: Item) -> TokenStream {
    with_original(error, stub_event_impl(args, &item))
}

fn stub_event_impl(args: &Args, item: &Item) -> TokenStream {
    let (ident, generics) = match item {
        Item::Struct(s) => (&s.ident, &s.generics),
        Item::Enum(e) => (&e.ident, &e.generics),
        Item::Union(u) => (&u.ident, &u.generics),
        other => return other.to_token_stream(),
    };
    let krate = args.krate();
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    quote! {
        #[allow(non_camel_case_types)]
        #item

        impl #impl_generics #krate::__private::Event for #ident #ty_generics #where_clause {
            const NAME: &'static str = "";
            type Builder = #krate::__private::Unset;
            fn builder() -> Self::Builder {
                #krate::__private::Unset
            }
        }
    }
}

/// The struct as declared; custom events also derive `Serialize`, leaving
/// out optional fields that were not given.
fn declared_item(args: &Args, event: &Event) -> TokenStream {
    let mut item = event.item.clone();
    // Event types are named like their wire type (`progress_update`).
    item.attrs
        .push(syn::parse_quote!(#[allow(non_camel_case_types)]));
    if args.lifecycle {
        return item.to_token_stream();
    }
    if let Fields::Named(named) = &mut item.fields {
        for field in named.named.iter_mut() {
            if option_inner(&field.ty).is_some() {
                field.attrs.push(syn::parse_quote!(
                    #[serde(skip_serializing_if = "::core::option::Option::is_none")]
                ));
            }
        }
    }
    let krate = args.krate();
    let serde_path = format!("{}::__private::serde", krate.to_string().replace(' ', ""));
    quote! {
        #[derive(#krate::__private::serde::Serialize)]
        #[serde(crate = #serde_path)]
        #item
    }
}

fn builder_ident(event: &Event) -> syn::Ident {
    format_ident!("__AgentwireBuilder_{}", event.item.ident)
}

/// The builder carries one type parameter per field: `Unset` until the
/// field is given, then `Set<T>`; `__agentwire_finish` needs every required
/// slot `Set`, and reports a missing one through `RequiredField<Event,
/// FieldMarker>`, whose message names the field by the marker type's name.
fn builder(krate: &TokenStream, event: &Event) -> TokenStream {
    let ident = &event.item.ident;
    let vis = &event.item.vis;
    let builder = builder_ident(event);
    let params: Vec<syn::Ident> = (0..event.fields.len())
        .map(|i| format_ident!("__F{}", i))
        .collect();
    let field_idents: Vec<&syn::Ident> = event.fields.iter().map(|f| &f.ident).collect();
    let setters = event
        .fields
        .iter()
        .enumerate()
        .map(|(i, f)| setter(krate, event, &params, i, f));
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
    quote_spanned! {ident.span()=>
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
    }
}

/// The setter of field `i`: moves every slot over, `Set`ting its own.
fn setter(
    krate: &TokenStream,
    event: &Event,
    params: &[syn::Ident],
    i: usize,
    f: &EventField,
) -> TokenStream {
    let name = &f.ident;
    let ty = &f.ty;
    let vis = &event.item.vis;
    let builder = builder_ident(event);
    let out_params = params.iter().enumerate().map(|(j, p)| {
        if i == j {
            quote!(#krate::__private::Set<#ty>)
        } else {
            quote!(#p)
        }
    });
    let moves = event.fields.iter().enumerate().map(|(j, other)| {
        let other = &other.ident;
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
}

fn event_impl(krate: &TokenStream, args: &Args, event: &Event) -> TokenStream {
    let ident = &event.item.ident;
    let wire = &event.wire;
    let builder = builder_ident(event);
    let fields = event.fields.iter().map(|f| &f.ident);
    let unset = event
        .fields
        .iter()
        .map(|_| quote!(#krate::__private::Unset));
    // Lifecycle events are never what a user's missing `#[agent_event]`
    // should be compared with. (Generated code in user crates cannot carry
    // `#[diagnostic::..]`: the namespace is missing under
    // `#![no_implicit_prelude]`.)
    let recommend = if args.lifecycle {
        quote!(#[diagnostic::do_not_recommend])
    } else {
        quote!()
    };
    quote_spanned! {ident.span()=>
        #recommend
        impl #krate::__private::Event for #ident {
            const NAME: &'static str = #wire;
            type Builder = #builder<#(#unset),*>;
            #[inline]
            fn builder() -> Self::Builder {
                #builder { #(#fields: #krate::__private::Unset,)* }
            }
        }
    }
}
