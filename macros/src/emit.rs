//! `emit!(target, event { field: value, .. })`: parse, check the names
//! against the lifecycle vocabulary, and generate the builder chain plus the
//! typed dispatch call.

use proc_macro2::{Delimiter, Span, TokenStream, TokenTree};
use quote::{quote, quote_spanned, ToTokens};
use syn::parse::{Parse, ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, FieldValue, Member, Path, Token};

use crate::names::{self, Lifecycle, Target};

pub(crate) fn expand(input: TokenStream) -> TokenStream {
    let (krate, rest) = split_crate_path(input);
    let input = match Parser::parse2(EmitInput::parse, rest) {
        Ok(input) => input,
        Err(err) => return errors(err, TokenStream::new()),
    };
    // On a mistake the target and values are still checked (and count as
    // used, so their imports draw no warning), but nothing is emitted.
    let target = &input.target;
    let values = input.fields.iter().map(|f| &f.expr).chain(&input.extra);
    let uses = quote! {
        if false {
            let _ = &(#target);
            #(let _ = &(#values);)*
        }
    };
    match generate(&krate, input) {
        Ok(tokens) => tokens,
        Err(err) => errors(err, uses),
    }
}

/// `emit!` is an expression: the errors go in one block, the last one its
/// value, so that no follow-up error is reported on the result.
fn errors(err: syn::Error, uses: TokenStream) -> TokenStream {
    let errors = err.into_iter().map(|e| e.to_compile_error());
    quote!({ #uses #(#errors)* })
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

pub(crate) struct EmitInput {
    target: Expr,
    event: EventName,
    brace_span: Span,
    fields: Vec<FieldValue>,
    /// Values after a string event name, which `emit!` does not take.
    extra: Vec<Expr>,
}

enum EventName {
    Path(Path),
    /// `emit!(run, "agent_thinking", ..)`, an error.
    String(syn::LitStr),
}

impl Parse for EmitInput {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.is_empty() {
            return Err(input.error(
                "`emit!` needs a target and an event: `emit!(run, agent_thinking { reasoning: .. })`",
            ));
        }
        let target: Expr = input.parse()?;
        if input.is_empty() {
            return Err(syn::Error::new(
                target.span(),
                "`emit!` needs an event after the target: `emit!(run, agent_thinking { reasoning: .. })`",
            ));
        }
        input.parse::<Token![,]>()?;
        if input.peek(syn::LitStr) {
            let lit: syn::LitStr = input.parse()?;
            // `emit!(bridge, "agent_started", data)`: the rest is kept, to
            // be checked (and its imports used) alongside the error.
            if input.peek(Token![,]) {
                input.parse::<Token![,]>()?;
            }
            let rest: TokenStream = input.parse()?;
            let values = Punctuated::<Expr, Token![,]>::parse_terminated
                .parse2(rest)
                .map(|values| values.into_iter().collect())
                .unwrap_or_default();
            return Ok(EmitInput {
                target,
                event: EventName::String(lit),
                brace_span: Span::call_site(),
                fields: Vec::new(),
                extra: values,
            });
        }
        let event: Path = input.parse().map_err(|e| {
            syn::Error::new(
                e.span(),
                "expected an event name, as in `emit!(run, agent_thinking { reasoning: .. })`",
            )
        })?;
        let group = match input.parse::<TokenTree>() {
            Ok(TokenTree::Group(g)) if g.delimiter() == Delimiter::Brace => g,
            Ok(other) => {
                return Err(syn::Error::new(
                    other.span(),
                    format!(
                        "expected `{{ .. }}` with the event's fields after `{}`, as in `emit!(run, agent_thinking {{ reasoning: .. }})`",
                        event.to_token_stream()
                    ),
                ))
            }
            Err(_) => {
                return Err(syn::Error::new(
                    event.span(),
                    format!(
                        "expected `{{ .. }}` with the event's fields after `{}`, as in `emit!(run, agent_thinking {{ reasoning: .. }})`",
                        event.to_token_stream()
                    ),
                ))
            }
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
        Ok(EmitInput {
            target,
            event: EventName::Path(event),
            brace_span: group.span(),
            fields,
            extra: Vec::new(),
        })
    }
}

fn string_event_name(lit: &syn::LitStr) -> syn::Error {
    let value = lit.value();
    let known = names::lifecycle(&value).or_else(|| names::event_alias(&value));
    let msg = match known {
        Some(l) => format!(
            "event names are not strings: write `{}` (`\"{}\"` is the event `{}`)",
            l.example, value, l.name
        ),
        None => format!(
            "event names are not strings: name a declared event type, as in `emit!(run, {} {{ .. }})`",
            if names::invalid_wire_name(&value).is_none() {
                value.as_str()
            } else {
                "agent_thinking"
            }
        ),
    };
    syn::Error::new(lit.span(), msg)
}

fn field_name(field: &FieldValue) -> syn::Result<&syn::Ident> {
    match &field.member {
        Member::Named(ident) => Ok(ident),
        Member::Unnamed(index) => Err(syn::Error::new(
            index.span(),
            "event fields are named: write `name: value`",
        )),
    }
}

/// Every mistake in the field list, collected before reporting (as serde does).
fn check_fields(input: &EmitInput, lifecycle: Option<&Lifecycle>) -> syn::Result<()> {
    let mut errors: Option<syn::Error> = None;
    let mut push = |e: syn::Error| match &mut errors {
        Some(all) => all.combine(e),
        None => errors = Some(e),
    };
    let mut seen: Vec<String> = Vec::new();
    let mut meant_fields: Vec<&str> = Vec::new();
    // With a positional field, which field was meant is unknown: no
    // "missing" report then.
    let mut positional = false;
    for field in &input.fields {
        let ident = match field_name(field) {
            Ok(ident) => ident,
            Err(e) => {
                push(e);
                positional = true;
                continue;
            }
        };
        let name = ident.to_string();
        if seen.contains(&name) {
            push(syn::Error::new(
                ident.span(),
                format!("field `{name}` is given twice; give each field once"),
            ));
            continue;
        }
        seen.push(name.clone());
        let Some(l) = lifecycle else { continue };
        if l.fields.iter().any(|f| f.name == name) {
            continue;
        }
        // A renamed or misspelt field is reported as such, not also as missing.
        let meant = names::field_alias(l.name, &name)
            .or_else(|| names::did_you_mean(&name, l.fields.iter().map(|f| f.name)));
        if let Some(meant) = meant {
            meant_fields.push(meant);
        }
        if let Some(new) = names::field_alias(l.name, &name) {
            push(syn::Error::new(
                ident.span(),
                format!(
                    "`{name}` was renamed: write `{new}: ..`, as in `{}`",
                    example_with_field(l, new)
                ),
            ));
        } else {
            let hint = match names::did_you_mean(&name, l.fields.iter().map(|f| f.name)) {
                Some(close) => format!(" (did you mean `{close}`?)"),
                None => String::new(),
            };
            push(syn::Error::new(
                ident.span(),
                format!(
                    "`{}` has no field `{name}`{hint}; its fields are {}",
                    l.name,
                    names::field_list(l)
                ),
            ));
        }
    }
    if let Some(l) = lifecycle.filter(|_| !positional) {
        let missing: Vec<&str> = l
            .fields
            .iter()
            .filter(|f| f.required && !seen.iter().any(|s| s == f.name))
            .filter(|f| !meant_fields.contains(&f.name))
            .map(|f| f.name)
            .collect();
        if !missing.is_empty() {
            let list = missing
                .iter()
                .map(|m| format!("`{m}: ..`"))
                .collect::<Vec<_>>()
                .join(" and ");
            push(syn::Error::new(
                input.brace_span,
                format!("`{}` is missing {list}: write `{}`", l.name, l.example),
            ));
        }
    }
    match errors {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

fn example_with_field(l: &Lifecycle, field: &str) -> String {
    if l.example.contains(&format!("{field}:")) {
        l.example.to_string()
    } else {
        l.example.replace("{ ", &format!("{{ {field}: .., "))
    }
}

fn generate(krate: &TokenStream, input: EmitInput) -> syn::Result<TokenStream> {
    let event = match &input.event {
        EventName::Path(path) => path,
        EventName::String(lit) => return Err(string_event_name(lit)),
    };
    let single = event.get_ident().map(|i| i.to_string());
    let lifecycle = single.as_deref().and_then(names::lifecycle);
    if lifecycle.is_none() {
        if let Some(name) = single.as_deref() {
            if let Some(l) = names::event_alias(name) {
                return Err(syn::Error::new(
                    event.span(),
                    format!(
                        "`{name}` is not an event: the lifecycle event is `{}`; write `{}`",
                        l.name, l.example
                    ),
                ));
            }
            if let Some(close) = names::did_you_mean(name, names::LIFECYCLE.iter().map(|l| l.name))
            {
                let l = names::lifecycle(close).expect("suggestion is a lifecycle name");
                return Err(syn::Error::new(
                    event.span(),
                    format!(
                        "unknown event `{name}`; did you mean `{close}`? write `{}`",
                        l.example
                    ),
                ));
            }
        }
    }
    check_fields(&input, lifecycle)?;

    let event_span = event.span();
    let event_ty = match lifecycle {
        Some(l) => {
            let ident = syn::Ident::new(l.name, event_span);
            quote!(#krate::__private::events::#ident)
        }
        None => event.to_token_stream(),
    };
    // Lifecycle field names were checked above; a custom event's are checked
    // by rustc, through a field access on the event type (see
    // `check_field`), so its error says "no field" and lists the fields.
    let mut builder = quote_spanned! {event_span=>
        <#event_ty as #krate::__private::Event>::builder()
    };
    for field in &input.fields {
        let ident = field_name(field).expect("checked above");
        let value = &field.expr;
        builder = match lifecycle {
            Some(_) => quote_spanned!(ident.span()=> #builder.#ident(#value)),
            None => quote_spanned! {ident.span()=>
                #krate::__private::check_field(#builder, |__event: &#event_ty| &__event.#ident)
                    .#ident(#value)
            },
        };
    }
    // A required field left out is reported on the braces.
    let brace_span = input.brace_span;
    let builder = quote_spanned! {brace_span=>
        {
            let __agentwire_builder = #builder;
            __agentwire_builder.__agentwire_finish()
        }
    };
    let target = &input.target;
    let target_span = target.span();
    let call = match lifecycle.map(|l| (l.name, l.target)) {
        Some((_, Target::Bridge)) => {
            quote_spanned!(target_span=> #krate::__private::start_run(&(#target), #builder))
        }
        Some(("agent_thinking", _)) => {
            quote_spanned!(target_span=> #krate::__private::think(&(#target), #builder))
        }
        Some((_, Target::Run)) => {
            quote_spanned!(target_span=> #krate::__private::execute_tool(&(#target), #builder))
        }
        Some((_, Target::ToolCall)) => {
            quote_spanned!(target_span=> #krate::__private::complete_tool(#target, #builder))
        }
        Some((_, Target::OwnedRun)) => {
            quote_spanned!(target_span=> #krate::__private::complete_run(#target, #builder))
        }
        None => {
            quote_spanned!(target_span=> #krate::__private::emit_custom(&(#target), #builder))
        }
    };
    Ok(call)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand_str(src: &str) -> String {
        expand(src.parse().unwrap()).to_string()
    }

    fn error_of(src: &str) -> String {
        let out = expand_str(src);
        assert!(
            out.contains("compile_error"),
            "expected an error, got: {out}"
        );
        out
    }

    #[test]
    fn canonical_forms_expand_to_typed_dispatch() {
        let out = expand_str("$crate ; bridge, agent_started { agent_name: \"r\" }");
        assert!(out.contains("__private :: start_run"), "{out}");
        assert!(
            out.contains("__private :: events :: agent_started as $ crate :: __private :: Event > :: builder ()"),
            "{out}"
        );
        assert!(out.contains(". agent_name (\"r\")"));
        let out = expand_str("::agentwire ; run, agent_thinking { reasoning }");
        assert!(out.contains("think"), "{out}");
        assert!(out.contains(". reasoning (reasoning)"), "{out}");
        assert!(
            expand_str("::a; call, tool_completed { result: x }").contains("complete_tool (call")
        );
        assert!(expand_str("::a; run, agent_completed {}").contains("complete_run (run"));
        assert!(expand_str("::a; run, tool_executing { tool_name: t, }").contains("execute_tool"));
    }

    #[test]
    fn custom_events_keep_their_path() {
        let out = expand_str("::a; run, my::progress_update { percent: 3 }");
        assert!(out.contains("emit_custom"), "{out}");
        assert!(
            out.contains("< my :: progress_update as :: a :: __private :: Event > :: builder ()"),
            "{out}"
        );
        assert!(
            out.contains("check_field") && out.contains("& __event . percent"),
            "{out}"
        );
    }

    #[test]
    fn string_event_names_are_rejected_with_the_form() {
        let out = error_of("::a; bridge, \"agent_started\", data");
        assert!(out.contains("event names are not strings"), "{out}");
        assert!(
            out.contains("emit!(bridge, agent_started { agent_name: .. })"),
            "{out}"
        );
    }

    #[test]
    fn aliases_name_the_lifecycle_event() {
        let out = error_of("::a; run, tool_result { result: x }");
        assert!(
            out.contains("the lifecycle event is `tool_completed`"),
            "{out}"
        );
    }

    #[test]
    fn near_misses_get_a_suggestion() {
        let out = error_of("::a; run, agent_thiking { reasoning: x }");
        assert!(out.contains("did you mean `agent_thinking`"), "{out}");
    }

    #[test]
    fn field_mistakes_are_all_reported() {
        let out = error_of("::a; run, agent_thinking { thought: x, bogus: y }");
        assert!(
            out.contains("`thought` was renamed: write `reasoning: ..`"),
            "{out}"
        );
        assert!(out.contains("has no field `bogus`"), "{out}");
        // `thought` was meant as `reasoning`: not reported missing as well.
        assert!(!out.contains("is missing"), "{out}");
        let out = error_of("::a; run, agent_thinking { bogus: y }");
        assert!(out.contains("is missing `reasoning: ..`"), "{out}");
        let out = error_of("::a; run, agent_thinking { reasonig: y }");
        assert!(out.contains("did you mean `reasoning`"), "{out}");
        assert!(!out.contains("is missing"), "{out}");
    }

    #[test]
    fn several_errors_make_one_expression() {
        let out = error_of("::a; run, agent_thinking { thought: x, bogus: y }");
        assert!(out.starts_with('{') && out.ends_with('}'), "{out}");
        assert!(
            out.contains("if false { let _ = & (run) ; let _ = & (x) ; let _ = & (y) ; }"),
            "{out}"
        );
    }

    #[test]
    fn duplicates_and_missing_fields() {
        let out = error_of("::a; run, tool_executing { tool_name: a, tool_name: b }");
        assert!(out.contains("given twice"), "{out}");
        let out = error_of("::a; run, tool_executing { parameters: p }");
        assert!(out.contains("missing `tool_name: ..`"), "{out}");
    }

    #[test]
    fn malformed_input() {
        assert!(error_of("::a;").contains("needs a target"));
        assert!(error_of("::a; run").contains("needs an event"));
        assert!(error_of("::a; run, agent_thinking").contains("expected `{ .. }`"));
        let out = error_of("::a; run, agent_thinking { 0: x }");
        assert!(out.contains("named") && !out.contains("missing"), "{out}");
    }
}
