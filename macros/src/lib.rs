//! Procedural macros of [agentwire](https://docs.rs/agentwire).
//!
//! Do not depend on this crate directly: use the macros through the
//! `agentwire` facade, which re-exports them and provides the runtime items
//! their expansions name.

mod agent;
mod agent_event;
mod duration;
mod emit;
mod names;

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
