//! The arguments the attributes share, parsed in one place: `name = ".."`
//! and `crate = path`, each given at most once.

use proc_macro2::{Span, TokenStream};
use quote::{quote, ToTokens};
use syn::parse::{ParseStream, Parser};
use syn::{LitStr, Path, Token};

mod kw {
    syn::custom_keyword!(name);
    syn::custom_keyword!(timeout);
    syn::custom_keyword!(__lifecycle);
}

/// What one attribute accepts.
pub(crate) struct Spec {
    /// `#[agent]` or `#[agent_event]`, for messages.
    pub(crate) attribute: &'static str,
    /// An example value of `name`, for messages.
    pub(crate) name_example: &'static str,
    /// Whether the hidden `__lifecycle` flag is accepted (`#[agent_event]`).
    pub(crate) lifecycle: bool,
    /// Whether `timeout = ".."` is accepted (`#[agent]`).
    pub(crate) timeout: bool,
}

#[derive(Default)]
pub(crate) struct Args {
    pub(crate) name: Option<LitStr>,
    krate: Option<Path>,
    /// Reserved for the five lifecycle events declared inside `agentwire`.
    pub(crate) lifecycle: bool,
    /// `timeout = "30s"`, as written: checked by the attribute.
    pub(crate) timeout: Option<LitStr>,
}

impl Args {
    pub(crate) fn parse(spec: &Spec, tokens: TokenStream) -> syn::Result<Args> {
        Parser::parse2(
            |input: ParseStream<'_>| Args::parse_with(spec, input),
            tokens,
        )
    }

    fn parse_with(spec: &Spec, input: ParseStream<'_>) -> syn::Result<Args> {
        let mut args = Args::default();
        while !input.is_empty() {
            let lookahead = input.lookahead1();
            if lookahead.peek(kw::name) {
                let key: kw::name = input.parse()?;
                let example = format!("name = \"{}\"", spec.name_example);
                assign(input, key.span, &mut args.name, &example, |i| i.parse())?;
            } else if lookahead.peek(Token![crate]) {
                let key: Token![crate] = input.parse()?;
                assign(
                    input,
                    key.span,
                    &mut args.krate,
                    "crate = ::agentwire",
                    |i| i.call(Path::parse_mod_style),
                )?;
            } else if spec.timeout && lookahead.peek(kw::timeout) {
                let key: kw::timeout = input.parse()?;
                assign(
                    input,
                    key.span,
                    &mut args.timeout,
                    "timeout = \"30s\"",
                    |i| {
                        i.parse().map_err(|e: syn::Error| {
                            syn::Error::new(
                                e.span(),
                                "`timeout` takes a string: `timeout = \"30s\"`",
                            )
                        })
                    },
                )?;
            } else if spec.lifecycle && lookahead.peek(kw::__lifecycle) {
                input.parse::<kw::__lifecycle>()?;
                args.lifecycle = true;
            } else {
                let unknown: proc_macro2::TokenTree = input.parse()?;
                let timeout = if spec.timeout {
                    ", `timeout = \"30s\"`"
                } else {
                    ""
                };
                return Err(syn::Error::new(
                    unknown.span(),
                    format!(
                        "unknown argument `{unknown}`: {} accepts `name = \"..\"`{timeout} and `crate = path`",
                        spec.attribute
                    ),
                ));
            }
            if !input.is_empty() {
                input.parse::<Token![,]>()?;
            }
        }
        Ok(args)
    }

    /// The facade's path: `crate = ..` when given, `::agentwire` otherwise.
    pub(crate) fn krate(&self) -> TokenStream {
        match &self.krate {
            Some(path) => path.to_token_stream(),
            None => quote!(::agentwire),
        }
    }
}

/// `key = value`, where `key` may be given once: the one place that reports
/// a missing value and a repeated key.
fn assign<T>(
    input: ParseStream<'_>,
    key: Span,
    slot: &mut Option<T>,
    example: &str,
    value: impl FnOnce(ParseStream<'_>) -> syn::Result<T>,
) -> syn::Result<()> {
    let name = example.split(' ').next().unwrap_or(example);
    if !input.peek(Token![=]) {
        return Err(syn::Error::new(
            key,
            format!("this argument takes a value: `{example}`"),
        ));
    }
    input.parse::<Token![=]>()?;
    if slot.is_some() {
        return Err(syn::Error::new(key, format!("`{name}` is given twice")));
    }
    *slot = Some(value(input)?);
    Ok(())
}

/// The item as written, followed by `error`: the item keeps compiling, so
/// code using it draws no second error.
pub(crate) fn with_original(error: syn::Error, item: TokenStream) -> TokenStream {
    let error = error.to_compile_error();
    quote!(#item #error)
}
