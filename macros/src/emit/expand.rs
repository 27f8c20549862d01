//! `emit!`'s code: the event's typestate builder chain and the typed
//! dispatch call the table names. Generation cannot fail; on a mistake,
//! [`fallback`] keeps the target and values type-checked instead.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;

use super::check::{is_str_literal, Emit, Event};
use super::parse::{EmitInput, EventSpec};
use crate::names::{self, Kind};

pub(crate) fn generate(krate: &TokenStream, emit: &Emit<'_>) -> TokenStream {
    let (event_ty, event_span) = match &emit.event {
        Event::Lifecycle(l, span) => {
            let ident = syn::Ident::new(l.name, *span);
            (quote!(#krate::__private::events::#ident), *span)
        }
        Event::Custom(path) => (path.to_token_stream(), path.span()),
    };
    // Lifecycle field names were checked against the table; a custom
    // event's are checked by rustc, through a field access on the event
    // type (see `check_field`), so its error says "no field" and lists the
    // fields.
    let mut builder = quote_spanned! {event_span=>
        <#event_ty as #krate::__private::Event>::builder()
    };
    for field in &emit.fields {
        let ident = field.name;
        let value = field_value(krate, field.kind, field.value);
        builder = match emit.event {
            Event::Lifecycle(..) => quote_spanned!(ident.span()=> #builder.#ident(#value)),
            Event::Custom(_) => quote_spanned! {ident.span()=>
                #krate::__private::check_field(#builder, |__event: &#event_ty| &__event.#ident)
                    .#ident(#value)
            },
        };
    }
    // A required field left out is reported on the braces.
    let builder = quote_spanned! {emit.brace_span=>
        {
            let __agentwire_builder = #builder;
            __agentwire_builder.__agentwire_finish()
        }
    };
    // A target of the wrong kind is reported on the target.
    let target = emit.target;
    let span = target.span();
    let (dispatch, borrows) = match emit.event {
        Event::Lifecycle(l, _) => (l.dispatch, l.target.borrows()),
        Event::Custom(_) => (names::CUSTOM_DISPATCH, true),
    };
    let dispatch = format_ident!("{}", dispatch, span = span);
    let target = if borrows {
        quote_spanned!(span=> &(#target))
    } else {
        quote!(#target)
    };
    quote_spanned!(span=> #krate::__private::#dispatch(#target, #builder))
}

/// A literal agent name was checked by the macro; any other value goes
/// through `AgentName`, so that a plain `String` is a guiding type error.
fn field_value(krate: &TokenStream, kind: Kind, value: &syn::Expr) -> TokenStream {
    match kind {
        Kind::AgentName if !is_str_literal(value) => {
            quote_spanned!(value.span()=> #krate::AgentName::__emit_field(#value))
        }
        _ => value.to_token_stream(),
    }
}

/// `emit!` is an expression: the errors go in one block, the last one its
/// value, so that no follow-up error is reported on the result. The target
/// and values are still type-checked (and count as used, so their imports
/// draw no warning), but nothing is emitted. An event given as a value
/// also asks the target for its events, whose message lists the forms that
/// target takes.
pub(crate) fn fallback(krate: &TokenStream, input: &EmitInput, error: syn::Error) -> TokenStream {
    let target = &input.target;
    let (values, by_value): (Vec<&syn::Expr>, _) = match &input.event {
        EventSpec::Named { fields, .. } => (fields.iter().map(|f| &f.expr).collect(), None),
        EventSpec::Value { event, values, .. } => {
            let span = target.span();
            let ask = quote_spanned! {span=>
                #[allow(unused_imports)]
                use #krate::__private::EmitTarget as _;
                (#target).__agentwire_events_of_target(&(#event));
            };
            (values.iter().collect(), Some(ask))
        }
    };
    let errors = error.into_iter().map(|e| e.to_compile_error());
    quote! {{
        if false {
            #by_value
            let _ = &(#target);
            #(let _ = &(#values);)*
        }
        #(#errors)*
    }}
}
