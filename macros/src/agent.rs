//! `#[agent]`: an `async fn(&Run, UserMessage) -> Result<T, E>` becomes a
//! unit struct implementing `agentwire::Agent`. The struct's `handle` starts
//! the run (`agent_started`), drives the handler, and ends the run with
//! exactly one `agent_completed`, on return, error, panic or cancellation.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::parse::{Parse, ParseStream, Parser};
use syn::spanned::Spanned;
use syn::{FnArg, ItemFn, ReturnType, Token, Type};

pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let args = match Parser::parse2(Args::parse, args) {
        Ok(args) => args,
        Err(err) => return with_original(err, item),
    };
    let func: ItemFn = match syn::parse2(item.clone()) {
        Ok(func) => func,
        Err(_) => {
            let err = syn::Error::new(
                proc_macro2::Span::call_site(),
                "#[agent] goes on an `async fn(run: &Run, message: UserMessage) -> Result<T, E>`",
            );
            return with_original(err, item);
        }
    };
    if let Err(err) = check(&func) {
        // Re-emit the handler untouched so its body still gets checked, and
        // report only the signature problem.
        return with_original(err, quote!(#func));
    }
    generate(&args, func)
}

fn with_original(err: syn::Error, item: TokenStream) -> TokenStream {
    let err = err.to_compile_error();
    quote!(#item #err)
}

#[derive(Default)]
struct Args {
    name: Option<syn::LitStr>,
    krate: Option<syn::Path>,
}

mod kw {
    syn::custom_keyword!(name);
}

impl Parse for Args {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut args = Args::default();
        while !input.is_empty() {
            let lookahead = input.lookahead1();
            if lookahead.peek(kw::name) {
                let key: kw::name = input.parse()?;
                input.parse::<Token![=]>()?;
                if args.name.is_some() {
                    return Err(syn::Error::new(key.span, "`name` is given twice"));
                }
                let lit: syn::LitStr = input.parse()?;
                if let Some(why) = crate::names::invalid_wire_name(&lit.value()) {
                    return Err(syn::Error::new(
                        lit.span(),
                        format!("`{}` cannot be an agent name: {why}", lit.value()),
                    ));
                }
                args.name = Some(lit);
            } else if lookahead.peek(Token![crate]) {
                let key: Token![crate] = input.parse()?;
                input.parse::<Token![=]>()?;
                if args.krate.is_some() {
                    return Err(syn::Error::new(key.span, "`crate` is given twice"));
                }
                args.krate = Some(input.call(syn::Path::parse_mod_style)?);
            } else {
                let _ = lookahead;
                let unknown: proc_macro2::TokenTree = input.parse()?;
                return Err(syn::Error::new(
                    unknown.span(),
                    format!("unknown argument `{unknown}`: #[agent] accepts `name = \"..\"` and `crate = path`"),
                ));
            }
            if !input.is_empty() {
                input.parse::<Token![,]>()?;
            }
        }
        Ok(args)
    }
}

const SHAPE: &str = "async fn handler(run: &Run, message: UserMessage) -> Result<T, E>";

fn check(func: &ItemFn) -> syn::Result<()> {
    let sig = &func.sig;
    if sig.asyncness.is_none() {
        return Err(syn::Error::new(
            sig.fn_token.span,
            format!("#[agent] handlers are async: write `{SHAPE}`"),
        ));
    }
    if !sig.generics.params.is_empty() {
        return Err(syn::Error::new(
            sig.generics.span(),
            "#[agent] handlers cannot be generic: one handler is one agent",
        ));
    }
    let mut inputs = sig.inputs.iter();
    match inputs.next() {
        Some(FnArg::Receiver(r)) => {
            return Err(syn::Error::new(
                r.span(),
                format!("#[agent] goes on a free function, not a method: write `{SHAPE}`"),
            ))
        }
        Some(FnArg::Typed(pat)) => match &*pat.ty {
            Type::Reference(r) if r.mutability.is_none() => {}
            Type::Reference(r) => {
                return Err(syn::Error::new(
                    r.span(),
                    "the run is borrowed shared: write `run: &Run` (emitting needs no `&mut`)",
                ))
            }
            other => {
                return Err(syn::Error::new(
                    other.span(),
                    "the first parameter is the borrowed run: write `run: &Run`; #[agent] owns the run and emits `agent_completed` when the handler returns",
                ))
            }
        },
        None => {
            return Err(syn::Error::new(
                sig.paren_token.span.join(),
                format!("#[agent] handlers take the run and the message: write `{SHAPE}`"),
            ))
        }
    }
    match inputs.next() {
        Some(_) => {}
        None => {
            return Err(syn::Error::new(
                sig.paren_token.span.join(),
                format!("#[agent] handlers also take the user's message: write `{SHAPE}`"),
            ))
        }
    }
    if let Some(extra) = inputs.next() {
        return Err(syn::Error::new(
            extra.span(),
            format!("#[agent] handlers take exactly two parameters: `{SHAPE}`"),
        ));
    }
    let is_result = match &sig.output {
        ReturnType::Type(_, ty) => match &**ty {
            Type::Path(p) => p.path.segments.last().is_some_and(|s| s.ident == "Result"),
            _ => false,
        },
        ReturnType::Default => false,
    };
    if !is_result {
        let span = match &sig.output {
            ReturnType::Type(_, ty) => ty.span(),
            ReturnType::Default => sig.ident.span(),
        };
        return Err(syn::Error::new(
            span,
            "#[agent] handlers return `Result<T, E>` (T: Serialize becomes the run's result, E: Display its error)",
        ));
    }
    Ok(())
}

fn generate(args: &Args, func: ItemFn) -> TokenStream {
    let krate = match &args.krate {
        Some(path) => quote!(#path),
        None => quote!(::agentwire),
    };
    let ident = func.sig.ident.clone();
    let span = ident.span();
    let name = match &args.name {
        Some(lit) => lit.value(),
        None => ident.to_string(),
    };
    let vis = func.vis.clone();
    let (docs, attrs): (Vec<_>, Vec<_>) = func
        .attrs
        .iter()
        .cloned()
        .partition(|a| a.path().is_ident("doc"));
    let mut inner = func;
    inner.attrs = attrs;
    inner.vis = syn::Visibility::Inherited;
    inner.sig.ident = syn::Ident::new("__agentwire_handler", span);

    quote_spanned! {span=>
        #(#docs)*
        #[allow(non_camel_case_types)]
        #[derive(Clone, Copy, Debug)]
        #vis struct #ident;

        impl #ident {
            #[doc(hidden)]
            #inner
        }

        impl #krate::Agent for #ident {
            fn name(&self) -> &'static str {
                #name
            }

            fn handle(
                &self,
                bridge: #krate::AgentBridge,
                message: #krate::UserMessage,
            ) -> #krate::__private::BoxFuture<'static, #krate::RunOutcome> {
                #krate::__private::run_agent(bridge, #name, message, |run, message| {
                    ::std::boxed::Box::pin(#ident::__agentwire_handler(run, message))
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &str, item: &str) -> String {
        expand(args.parse().unwrap(), item.parse().unwrap()).to_string()
    }

    fn error(args: &str, item: &str) -> String {
        let out = run(args, item);
        assert!(out.contains("compile_error"), "expected an error: {out}");
        out
    }

    const OK: &str =
        "async fn researcher(run: &Run, msg: UserMessage) -> Result<u8, String> { Ok(1) }";

    #[test]
    fn wraps_the_handler_in_an_agent() {
        let out = run("name = \"research\"", OK);
        assert!(out.contains("struct researcher"), "{out}");
        assert!(
            out.contains("impl :: agentwire :: Agent for researcher"),
            "{out}"
        );
        assert!(out.contains("\"research\""), "{out}");
        assert!(out.contains("async fn __agentwire_handler"), "{out}");
        assert!(!out.contains("compile_error"), "{out}");
    }

    #[test]
    fn default_name_is_the_function_name() {
        assert!(run("", OK).contains("\"researcher\""));
    }

    #[test]
    fn signature_mistakes() {
        assert!(error(
            "",
            "fn a(run: &Run, m: UserMessage) -> Result<(), String> { Ok(()) }"
        )
        .contains("handlers are async"));
        assert!(error(
            "",
            "async fn a(run: Run, m: UserMessage) -> Result<(), String> { Ok(()) }"
        )
        .contains("write `run: &Run`"));
        assert!(error(
            "",
            "async fn a(run: &mut Run, m: UserMessage) -> Result<(), String> { Ok(()) }"
        )
        .contains("borrowed shared"));
        assert!(error("", "async fn a() -> Result<(), String> { Ok(()) }").contains("take the run"));
        assert!(
            error("", "async fn a(run: &Run) -> Result<(), String> { Ok(()) }").contains("message")
        );
        assert!(
            error("", "async fn a(run: &Run, m: UserMessage) -> u8 { 1 }")
                .contains("return `Result")
        );
        assert!(error("", "async fn a(run: &Run, m: UserMessage) { }").contains("return `Result"));
        assert!(error(
            "",
            "async fn a<T>(run: &Run, m: T) -> Result<(), String> { Ok(()) }"
        )
        .contains("generic"));
    }

    #[test]
    fn argument_mistakes() {
        assert!(error("nam = \"x\"", OK).contains("unknown argument `nam"));
        assert!(error("name = \"a\", name = \"b\"", OK).contains("given twice"));
        assert!(error("name = \"Bad Name\"", OK).contains("cannot be an agent name"));
    }
}
