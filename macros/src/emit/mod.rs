//! `emit!(target, event { field: value, .. })`: parse, check the names
//! against the lifecycle vocabulary, and generate the builder chain plus
//! the typed dispatch call.

mod check;
mod expand;
mod parse;

use proc_macro2::{TokenStream, TokenTree};
use quote::quote;
use syn::parse::Parser;

pub(crate) fn expand(input: TokenStream) -> TokenStream {
    let (krate, rest) = split_crate_path(input);
    let input = match Parser::parse2(<parse::EmitInput as syn::parse::Parse>::parse, rest) {
        Ok(input) => input,
        Err(error) => {
            let errors = error.into_iter().map(|e| e.to_compile_error());
            return quote!({ #(#errors)* });
        }
    };
    match check::check(&input) {
        Ok(emit) => expand::generate(&krate, &emit),
        Err(error) => expand::fallback(&krate, &input, error),
    }
}

/// `emit!` is a `macro_rules!` in the facade that forwards `$crate ;` first,
/// so generated paths survive a renamed dependency.
fn split_crate_path(input: TokenStream) -> (TokenStream, TokenStream) {
    let mut krate = TokenStream::new();
    let mut iter = input.into_iter();
    for tt in iter.by_ref() {
        match &tt {
            TokenTree::Punct(p) if p.as_char() == ';' => break,
            _ => krate.extend([tt]),
        }
    }
    if krate.is_empty() {
        krate = quote!(::agentwire);
    }
    (krate, iter.collect())
}

#[cfg(test)]
mod tests;
