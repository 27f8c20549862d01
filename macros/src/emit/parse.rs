//! `emit!`'s input: `$crate ; target, event { field: value, .. }`, or the
//! event given as a value (`"agent_started", data`), kept to be reported.

use proc_macro2::{Delimiter, Span, TokenStream, TokenTree};
use syn::parse::{Parse, ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, FieldValue, Path, Token};

use crate::text;

pub(crate) struct EmitInput {
    pub(crate) target: Expr,
    pub(crate) event: EventSpec,
}

pub(crate) enum EventSpec {
    /// `event { field: value, .. }`: the one accepted form.
    Named {
        path: Path,
        brace_span: Span,
        fields: Vec<FieldValue>,
    },
    /// `"agent_started", data`, `EVENTS::STARTED, data`, `name, data`: an
    /// event given as a value, with whatever values follow it.
    Value {
        event: Expr,
        /// `event` as the author wrote it.
        written: String,
        values: Vec<Expr>,
    },
}

const FORM: &str = "emit!(run, agent_thinking { reasoning: .. })";

impl Parse for EmitInput {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        if input.is_empty() {
            return Err(input.error(format!("`emit!` needs a target and an event: `{FORM}`")));
        }
        let target: Expr = input.parse()?;
        if input.is_empty() {
            return Err(syn::Error::new(
                target.span(),
                format!("`emit!` needs an event after the target: `{FORM}`"),
            ));
        }
        input.parse::<Token![,]>()?;
        let event = if starts_named_event(input) {
            parse_named(input)?
        } else {
            parse_value(input)?
        };
        Ok(EmitInput { target, event })
    }
}

/// A path not followed by what continues an expression (a comma, a call,
/// a method, an index): `event { .. }`, or a named event missing its
/// braces, reported as such.
fn starts_named_event(input: ParseStream<'_>) -> bool {
    let fork = input.fork();
    if fork.call(Path::parse_mod_style).is_err() {
        return false;
    }
    !(fork.peek(Token![,])
        || fork.peek(Token![.])
        || fork.peek(syn::token::Paren)
        || fork.peek(syn::token::Bracket))
}

fn parse_named(input: ParseStream<'_>) -> syn::Result<EventSpec> {
    let path = input.call(Path::parse_mod_style)?;
    let missing_braces = |span: Span| {
        syn::Error::new(
            span,
            format!(
                "expected `{{ .. }}` with the event's fields after `{}`, as in `{FORM}`",
                text::as_written(quote::ToTokens::to_token_stream(&path))
            ),
        )
    };
    let group = match input.parse::<TokenTree>() {
        Ok(TokenTree::Group(g)) if g.delimiter() == Delimiter::Brace => g,
        Ok(other) => return Err(missing_braces(other.span())),
        Err(_) => return Err(missing_braces(path.span())),
    };
    // A trailing comma after the braces is accepted, anything else is not.
    if input.peek(Token![,]) {
        input.parse::<Token![,]>()?;
    }
    if !input.is_empty() {
        return Err(input.error("unexpected tokens after the event's `{ .. }`"));
    }
    let fields = Punctuated::<FieldValue, Token![,]>::parse_terminated
        .parse2(group.stream())?
        .into_iter()
        .collect();
    Ok(EventSpec::Named {
        path,
        brace_span: group.span(),
        fields,
    })
}

fn parse_value(input: ParseStream<'_>) -> syn::Result<EventSpec> {
    let tokens: TokenStream = input.fork().parse()?;
    let event: Expr = input.parse().map_err(|e| {
        syn::Error::new(e.span(), format!("expected an event name, as in `{FORM}`"))
    })?;
    // The event's own tokens: everything up to the first top-level comma.
    let written = text::as_written(
        tokens
            .into_iter()
            .take_while(|tt| !matches!(tt, TokenTree::Punct(p) if p.as_char() == ','))
            .collect(),
    );
    // The rest is kept, to be type-checked (and its imports used)
    // alongside the error.
    let mut values = Vec::new();
    if input.parse::<Option<Token![,]>>()?.is_some() {
        let rest: TokenStream = input.parse()?;
        values = Punctuated::<Expr, Token![,]>::parse_terminated
            .parse2(rest)
            .map(|values| values.into_iter().collect())
            .unwrap_or_default();
    }
    Ok(EventSpec::Value {
        event,
        written,
        values,
    })
}
