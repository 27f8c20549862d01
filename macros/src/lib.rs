//! Procedural macros of [agentwire](https://docs.rs/agentwire).
//!
//! Do not depend on this crate directly: use the macros through the
//! `agentwire` facade, which re-exports them and provides the runtime items
//! their expansions name.
//!
//! Every macro runs the same three stages: parse the tokens into a typed
//! input, check it against the vocabulary (`names.rs`), and generate code.
//! Generation cannot fail: whatever can be wrong is found by the check.
//!
//! Error policy: `emit!` and `#[agent_event]` report every mistake they find
//! at once (collected in [`errors::Errors`]); `#[agent]` reports the first
//! signature mistake, since one wrong parameter usually explains the next.
//! On an error each macro still generates what keeps follow-up errors away:
//! the item itself, stub impls, or the target and values type-checked.
#![deny(unreachable_pub, missing_debug_implementations)]
#![warn(rust_2018_idioms)]

mod agent;
mod agent_event;
mod args;
mod duration;
mod emit;
mod errors;
mod names;
mod text;

use proc_macro::TokenStream;

/// Declares an agent event type. See `agentwire::agent_event`.
#[proc_macro_attribute]
pub fn agent_event(args: TokenStream, item: TokenStream) -> TokenStream {
    agent_event::expand(args.into(), item.into()).into()
}

/// Wraps an async agent handler. See `agentwire::agent`.
#[proc_macro_attribute]
pub fn agent(args: TokenStream, item: TokenStream) -> TokenStream {
    agent::expand(args.into(), item.into()).into()
}

/// The checking half of `agentwire::emit!`; not for direct use.
#[doc(hidden)]
#[proc_macro]
pub fn __emit(input: TokenStream) -> TokenStream {
    emit::expand(input.into()).into()
}

/// The lifecycle vocabulary as a constant expression: one
/// `(event, &[(field, required)])` per lifecycle event, in table order.
/// `agentwire::events` holds it, so that tests can compare the README and
/// the wire with the table `emit!` checks against.
#[doc(hidden)]
#[proc_macro]
pub fn __lifecycle_vocabulary(input: TokenStream) -> TokenStream {
    names::vocabulary(input.into()).into()
}
