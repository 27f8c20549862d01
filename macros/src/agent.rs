//! `#[agent]`: an `async fn(&Run, UserMessage) -> Result<T, E>` becomes a
//! unit struct implementing `agentwire::Agent`. The struct's `handle` starts
//! the run (`agent_started`), drives the handler, and ends the run with
//! exactly one `agent_completed`, on return, error, panic or cancellation.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{FnArg, ItemFn, ReturnType, Signature, Type};

use crate::args::{with_original, Args, Spec};

const SPEC: Spec = Spec {
    attribute: "#[agent]",
    name_example: "researcher",
    lifecycle: false,
    timeout: true,
};

pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let args = match Args::parse(&SPEC, args) {
        Ok(args) => args,
        Err(error) => return with_original(error, item),
    };
    let func: ItemFn = match syn::parse2(item.clone()) {
        Ok(func) => func,
        Err(_) => {
            let error = syn::Error::new_spanned(
                &item,
                format!("#[agent] goes on a handler function: `{SHAPE}`"),
            );
            return with_original(error, item);
        }
    };
    match check(&args, &func).and_then(|()| timeout_millis(&args)) {
        Ok(timeout) => generate(&args, timeout, func),
        // Re-emit the handler so its body still gets checked, and report
        // only the first signature problem.
        Err(error) => {
            let func = repair(func);
            with_original(error, quote!(#func))
        }
    }
}

const SHAPE: &str = "async fn handler(run: &Run, message: UserMessage) -> Result<T, E>";

/// The first mistake, in the order an author reads the signature.
fn check(args: &Args, func: &ItemFn) -> syn::Result<()> {
    check_name(args)?;
    let sig = &func.sig;
    check_async(sig)?;
    check_generics(sig)?;
    check_run_param(sig)?;
    check_message_param(sig)?;
    check_return(sig)
}

/// The agent's name is what clients ask for in `user_message`.
fn check_name(args: &Args) -> syn::Result<()> {
    match &args.name {
        Some(lit) => match crate::names::invalid_wire_name(&lit.value()) {
            Some(why) => Err(syn::Error::new(
                lit.span(),
                format!("`{}` cannot be an agent name: {why}", lit.value()),
            )),
            None => Ok(()),
        },
        None => Ok(()),
    }
}

/// `timeout = "30s"` in milliseconds: the run's budget.
fn timeout_millis(args: &Args) -> syn::Result<Option<u64>> {
    match &args.timeout {
        Some(lit) => crate::duration::parse_millis(&lit.value())
            .map(Some)
            .map_err(|why| syn::Error::new(lit.span(), why)),
        None => Ok(None),
    }
}

fn check_async(sig: &Signature) -> syn::Result<()> {
    if sig.asyncness.is_none() {
        return Err(syn::Error::new(
            sig.fn_token.span,
            format!("#[agent] handlers are async: write `{SHAPE}`"),
        ));
    }
    Ok(())
}

fn check_generics(sig: &Signature) -> syn::Result<()> {
    if !sig.generics.params.is_empty() {
        return Err(syn::Error::new_spanned(
            &sig.generics,
            "#[agent] handlers cannot be generic: one handler is one agent",
        ));
    }
    Ok(())
}

fn check_run_param(sig: &Signature) -> syn::Result<()> {
    match sig.inputs.first() {
        Some(FnArg::Receiver(r)) => Err(syn::Error::new_spanned(
            r,
            format!("#[agent] goes on a free function, not a method: write `{SHAPE}`"),
        )),
        Some(FnArg::Typed(pat)) => match &*pat.ty {
            Type::Reference(r) if r.mutability.is_none() => {
                match last_ident(&r.elem).filter(|i| NOT_A_RUN.contains(&i.as_str())) {
                    Some(wrong) => Err(syn::Error::new_spanned(
                        r,
                        format!("the first parameter is the run, not `&{wrong}`: write `run: &Run`; #[agent] starts the run on the user's bridge and passes it in"),
                    )),
                    None => Ok(()),
                }
            }
            Type::Reference(r) => Err(syn::Error::new_spanned(
                r,
                "the run is borrowed shared: write `run: &Run` (emitting needs no `&mut`)",
            )),
            other => Err(syn::Error::new_spanned(
                other,
                "the first parameter is the borrowed run: write `run: &Run`; #[agent] owns the run and emits `agent_completed` when the handler returns",
            )),
        },
        None => Err(syn::Error::new(
            sig.paren_token.span.join(),
            format!("#[agent] handlers take the run and the message: write `{SHAPE}`"),
        )),
    }
}

fn check_message_param(sig: &Signature) -> syn::Result<()> {
    let mut rest = sig.inputs.iter().skip(1);
    match rest.next() {
        Some(FnArg::Typed(pat)) if is_text(&pat.ty) => {
            return Err(syn::Error::new_spanned(
                &pat.ty,
                "the second parameter is the user's message: write `msg: UserMessage` (its text is `msg.content`)",
            ))
        }
        Some(_) => {}
        None => {
            return Err(syn::Error::new(
                sig.paren_token.span.join(),
                format!("#[agent] handlers also take the user's message: write `{SHAPE}`"),
            ))
        }
    }
    match rest.next() {
        Some(extra) => Err(syn::Error::new_spanned(
            extra,
            format!("#[agent] handlers take exactly two parameters: `{SHAPE}`"),
        )),
        None => Ok(()),
    }
}

fn check_return(sig: &Signature) -> syn::Result<()> {
    let is_result = match &sig.output {
        ReturnType::Type(_, ty) => match &**ty {
            Type::Path(p) => p.path.segments.last().is_some_and(|s| s.ident == "Result"),
            _ => false,
        },
        ReturnType::Default => false,
    };
    if is_result {
        return Ok(());
    }
    let msg = "#[agent] handlers return `Result<T, E>` (T: Serialize becomes the run's result, E: Display its error)";
    Err(match &sig.output {
        ReturnType::Type(_, ty) => syn::Error::new_spanned(ty, msg),
        ReturnType::Default => syn::Error::new(sig.ident.span(), msg),
    })
}

/// Types a handler is sometimes written to take instead of the run.
const NOT_A_RUN: &[&str] = &[
    "AgentBridge",
    "UserWebSocketManager",
    "UserExecutionContext",
    "WebSocketManagerFactory",
    "Hub",
    "ToolCall",
];

fn last_ident(ty: &Type) -> Option<String> {
    match ty {
        Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

/// `String`, `str` or a reference to one: the message's text, not the message.
fn is_text(ty: &Type) -> bool {
    let ty = match ty {
        Type::Reference(r) => &*r.elem,
        other => other,
    };
    matches!(last_ident(ty).as_deref(), Some("String" | "str"))
}

/// A `run: &mut Run` is re-emitted as `&Run`, so that the body's `emit!`
/// calls do not each repeat the signature error.
fn repair(mut func: ItemFn) -> ItemFn {
    if let Some(FnArg::Typed(pat)) = func.sig.inputs.first_mut() {
        if let Type::Reference(r) = &mut *pat.ty {
            r.mutability = None;
        }
    }
    func
}

fn generate(args: &Args, timeout: Option<u64>, func: ItemFn) -> TokenStream {
    let krate = args.krate();
    let ident = func.sig.ident.clone();
    let span = ident.span();
    let name = match &args.name {
        Some(lit) => lit.value(),
        None => ident.to_string(),
    };
    let vis = func.vis.clone();
    let func_inputs: Vec<FnArg> = func.sig.inputs.iter().cloned().collect();
    let output_span = match &func.sig.output {
        ReturnType::Type(_, ty) => ty.span(),
        ReturnType::Default => span,
    };
    let (docs, attrs): (Vec<_>, Vec<_>) = func
        .attrs
        .iter()
        .cloned()
        .partition(|a| a.path().is_ident("doc"));
    let mut inner = func;
    inner.attrs = attrs;
    inner.vis = syn::Visibility::Inherited;
    inner.sig.ident = syn::Ident::new("__agentwire_handler", span);

    // Type errors are placed on the user's tokens: a parameter of the wrong
    // type on that parameter, a result or error type that cannot be sent on
    // the return type.
    let param_span = |i: usize| match func_inputs.get(i) {
        Some(FnArg::Typed(pat)) => pat.ty.span(),
        _ => span,
    };
    let run_arg = quote_spanned!(param_span(0)=> run);
    let message_arg = quote_spanned!(param_span(1)=> message);
    let call_krate = respan(krate.clone(), output_span);
    let call_name = syn::LitStr::new(&name, output_span);
    let run_agent = match timeout {
        None => quote_spanned! {output_span=>
            #call_krate::__private::run_agent(bridge, #call_name, message, |run, message| {
                ::std::boxed::Box::pin(#ident::__agentwire_handler(#run_arg, #message_arg))
            })
        },
        Some(millis) => quote_spanned! {output_span=>
            #call_krate::__private::run_agent_within(
                bridge,
                #call_name,
                ::core::time::Duration::from_millis(#millis),
                message,
                |run, message| {
                    ::std::boxed::Box::pin(#ident::__agentwire_handler(#run_arg, #message_arg))
                },
            )
        },
    };

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
                #run_agent
            }
        }
    }
}

/// `tokens` with every span set to `span`.
fn respan(tokens: TokenStream, span: proc_macro2::Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut tt| {
            if let proc_macro2::TokenTree::Group(g) = &tt {
                let mut group = proc_macro2::Group::new(g.delimiter(), respan(g.stream(), span));
                group.set_span(span);
                tt = group.into();
            } else {
                tt.set_span(span);
            }
            tt
        })
        .collect()
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
        assert!(!error(
            "",
            "async fn a(run: &mut Run, m: UserMessage) -> Result<(), String> { Ok(()) }"
        )
        .contains("& mut Run"));
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
    fn parameters_of_the_wrong_kind() {
        let out = error(
            "",
            "async fn a(b: &AgentBridge, m: UserMessage) -> Result<(), String> { Ok(()) }",
        );
        assert!(
            out.contains("not `&AgentBridge`: write `run: &Run`"),
            "{out}"
        );
        let out = error(
            "",
            "async fn a(run: &Run, m: &str) -> Result<(), String> { Ok(()) }",
        );
        assert!(out.contains("write `msg: UserMessage`"), "{out}");
    }

    #[test]
    fn type_errors_point_at_the_signature() {
        // The call that bounds `T` and `E` carries the return type's span,
        // so it is not the attribute's.
        let out = run("", OK);
        assert!(out.contains("run_agent (bridge , \"researcher\""), "{out}");
    }

    #[test]
    fn a_timeout_becomes_the_runs_budget() {
        let out = run("name = \"r\", timeout = \"90s\"", OK);
        assert!(out.contains("run_agent_within"), "{out}");
        assert!(out.contains("from_millis (90000u64)"), "{out}");
        assert!(!run("", OK).contains("run_agent_within"));
        assert!(error("timeout = \"soon\"", OK).contains("not a duration"));
        assert!(error("timeout = 30", OK).contains("takes a string"));
        assert!(error("timeout = \"1s\", timeout = \"2s\"", OK).contains("given twice"));
        assert!(error("timeout", OK).contains("takes a value: `timeout ="));
    }

    #[test]
    fn argument_mistakes() {
        assert!(error("name", OK).contains("takes a value: `name ="));
        assert!(error("crate", OK).contains("takes a value: `crate = ::agentwire`"));
        assert!(error("nam = \"x\"", OK).contains("unknown argument `nam"));
        assert!(error("name = \"a\", name = \"b\"", OK).contains("given twice"));
        assert!(error("name = \"Bad Name\"", OK).contains("cannot be an agent name"));
    }
}
