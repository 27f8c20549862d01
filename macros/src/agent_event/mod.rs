//! `#[agent_event]`: a struct with named fields becomes an event type with a
//! wire name and a typestate builder that `emit!` drives. A required field
//! left out is reported through `RequiredField<Event, field>`, where
//! `field` is a unit struct named after the field, so the diagnostic names it.
//!
//! `ast` reads the item, `valid` checks it (every error at once), `expand`
//! generates; on an error `expand::fallback` still emits the item and what
//! `emit!` needs of it, so that code using the event draws no second error.

mod ast;
mod expand;
mod valid;

use proc_macro2::TokenStream;

use crate::args::{with_original, Args, Spec};

const SPEC: Spec = Spec {
    attribute: "#[agent_event]",
    name_example: "progress_update",
    lifecycle: true,
    timeout: false,
};

pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let args = match Args::parse(&SPEC, args) {
        Ok(args) => args,
        Err(error) => return with_original(error, item),
    };
    let item: syn::Item = match syn::parse2(item.clone()) {
        Ok(item) => item,
        // Leave the item to rustc, which reports its own syntax error.
        Err(_) => return item,
    };
    let event = match ast::Event::from_item(&args, &item) {
        Ok(event) => event,
        Err(error) => return expand::not_a_struct(&args, error, item),
    };
    match valid::validate(&args, &event) {
        Ok(()) => expand::generate(&args, &event),
        Err(error) => expand::fallback(&args, &event, error),
    }
}

#[cfg(test)]
mod tests;
