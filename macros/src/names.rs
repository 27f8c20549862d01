//! The vocabulary the macros check against: the five lifecycle events,
//! their fields, what each is emitted on, and the names earlier designs used
//! for them. This table is the one source: `#[agent_event(__lifecycle)]`
//! checks the structs in `agentwire::events` against it, and
//! `__lifecycle_vocabulary!` hands it to the facade for its tests.

use proc_macro2::TokenStream;
use quote::quote;

/// What an event is emitted on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Target {
    /// `agent_started`: a bridge, yields a `Run`.
    Bridge,
    /// Borrowing a run: `agent_thinking`, `tool_executing`, custom events.
    Run,
    /// Consuming a `ToolCall`: `tool_completed`.
    ToolCall,
    /// Consuming the `Run`: `agent_completed`.
    OwnedRun,
}

impl Target {
    /// Whether the dispatch function borrows the target (else consumes it).
    pub(crate) fn borrows(self) -> bool {
        matches!(self, Target::Bridge | Target::Run)
    }
}

/// How `emit!` passes a field's value to the builder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// As written; the builder's `IntoField` converts it.
    Value,
    /// An agent name: a string literal, checked here, or an `AgentName`.
    AgentName,
}

pub(crate) struct Field {
    pub(crate) name: &'static str,
    pub(crate) required: bool,
    pub(crate) kind: Kind,
}

pub(crate) struct Lifecycle {
    pub(crate) name: &'static str,
    pub(crate) target: Target,
    /// The `__private` function `emit!` calls.
    pub(crate) dispatch: &'static str,
    pub(crate) fields: &'static [Field],
    /// The canonical call, as an author would write it.
    pub(crate) example: &'static str,
}

const fn req(name: &'static str) -> Field {
    Field {
        name,
        required: true,
        kind: Kind::Value,
    }
}

const fn opt(name: &'static str) -> Field {
    Field {
        name,
        required: false,
        kind: Kind::Value,
    }
}

pub(crate) const LIFECYCLE: &[Lifecycle] = &[
    Lifecycle {
        name: "agent_started",
        target: Target::Bridge,
        dispatch: "start_run",
        fields: &[
            Field {
                name: "agent_name",
                required: true,
                kind: Kind::AgentName,
            },
            opt("message"),
        ],
        example: "let run = emit!(bridge, agent_started { agent_name: .. })",
    },
    Lifecycle {
        name: "agent_thinking",
        target: Target::Run,
        dispatch: "think",
        fields: &[
            req("reasoning"),
            opt("step_number"),
            opt("progress_percentage"),
        ],
        example: "emit!(run, agent_thinking { reasoning: .. })",
    },
    Lifecycle {
        name: "tool_executing",
        target: Target::Run,
        dispatch: "execute_tool",
        fields: &[req("tool_name"), opt("parameters")],
        example: "let call = emit!(run, tool_executing { tool_name: .., parameters: .. })",
    },
    Lifecycle {
        name: "tool_completed",
        target: Target::ToolCall,
        dispatch: "complete_tool",
        fields: &[opt("result"), opt("error")],
        example: "emit!(call, tool_completed { result: .. })",
    },
    Lifecycle {
        name: "agent_completed",
        target: Target::OwnedRun,
        dispatch: "complete_run",
        fields: &[opt("result"), opt("error")],
        example: "emit!(run, agent_completed { result: .. })",
    },
];

/// Custom `#[agent_event]`s are emitted on a run through this `__private`
/// function.
pub(crate) const CUSTOM_DISPATCH: &str = "emit_custom";

/// Wire types of the protocol itself; no event may take these names.
pub(crate) const PROTOCOL_TYPES: &[&str] = &[
    "connection_established",
    "error",
    "ping",
    "pong",
    "user_message",
];

pub(crate) fn lifecycle(name: &str) -> Option<&'static Lifecycle> {
    LIFECYCLE.iter().find(|l| l.name == name)
}

/// Event names of earlier designs, and the lifecycle event each became.
pub(crate) fn event_alias(name: &str) -> Option<&'static Lifecycle> {
    let canonical = match name {
        "agent_start" => "agent_started",
        "agent_complete" | "agent_response" => "agent_completed",
        "tool_execute" | "tool_call" | "tool_started" => "tool_executing",
        "tool_complete" | "tool_result" => "tool_completed",
        "agent_progress" => "agent_thinking",
        _ => return None,
    };
    lifecycle(canonical)
}

/// Field names of earlier designs, and the field each became in `event`.
pub(crate) fn field_alias(event: &str, field: &str) -> Option<&'static str> {
    match (event, field) {
        ("agent_thinking", "thought" | "thinking") => Some("reasoning"),
        ("tool_executing", "params" | "tool_args" | "args" | "arguments") => Some("parameters"),
        ("tool_completed" | "agent_completed", "results" | "output") => Some("result"),
        ("tool_executing", "name" | "tool") => Some("tool_name"),
        ("agent_started", "name" | "agent") => Some("agent_name"),
        _ => None,
    }
}

/// Why `name` cannot be a wire event name, if it cannot.
pub(crate) fn invalid_wire_name(name: &str) -> Option<&'static str> {
    let mut chars = name.chars();
    match chars.next() {
        None => return Some("it is empty"),
        Some(c) if !c.is_ascii_lowercase() => {
            return Some("it must start with a lowercase ASCII letter")
        }
        _ => {}
    }
    if name.len() > 64 {
        return Some("it is longer than 64 characters");
    }
    if !chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
        return Some("it may only contain lowercase ASCII letters, digits and `_`");
    }
    None
}

/// Why `name` cannot be an agent name given to `agent_started`, if it cannot.
pub(crate) fn invalid_agent_name(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        Some("it is empty")
    } else if name.trim().is_empty() {
        Some("it is only whitespace")
    } else {
        None
    }
}

pub(crate) fn field_list(l: &Lifecycle) -> String {
    l.fields
        .iter()
        .map(|f| {
            if f.required {
                format!("`{}`", f.name)
            } else {
                format!("`{}` (optional)", f.name)
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `__lifecycle_vocabulary!()`: the table as `&[(event, &[(field, required)])]`.
pub(crate) fn vocabulary(input: TokenStream) -> TokenStream {
    if !input.is_empty() {
        return syn::Error::new_spanned(input, "`__lifecycle_vocabulary!` takes no input")
            .to_compile_error();
    }
    let events = LIFECYCLE.iter().map(|l| {
        let name = l.name;
        let fields = l.fields.iter().map(|f| {
            let (field, required) = (f.name, f.required);
            quote!((#field, #required))
        });
        quote!((#name, &[#(#fields),*] as &[(&str, bool)]))
    });
    quote!(&[#(#events),*])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_alias_leads_to_a_lifecycle_event() {
        for alias in [
            "agent_start",
            "agent_complete",
            "tool_execute",
            "tool_complete",
            "tool_call",
            "tool_result",
            "tool_started",
            "agent_progress",
            "agent_response",
        ] {
            assert!(event_alias(alias).is_some(), "{alias}");
        }
        assert!(event_alias("agent_started").is_none());
    }

    #[test]
    fn wire_names_are_checked() {
        assert_eq!(invalid_wire_name("progress_update"), None);
        assert!(invalid_wire_name("").is_some());
        assert!(invalid_wire_name("Progress").is_some());
        assert!(invalid_wire_name("progress-update").is_some());
        assert!(invalid_wire_name(&"a".repeat(65)).is_some());
    }

    #[test]
    fn agent_names_are_not_blank() {
        assert_eq!(invalid_agent_name("researcher"), None);
        assert_eq!(invalid_agent_name("Research Bot"), None);
        assert!(invalid_agent_name("").is_some());
        assert!(invalid_agent_name(" \t").is_some());
    }

    #[test]
    fn every_example_uses_its_event_and_required_fields() {
        for l in LIFECYCLE {
            assert!(l.example.contains(&format!("{} {{", l.name)), "{}", l.name);
            for f in l.fields.iter().filter(|f| f.required) {
                assert!(l.example.contains(&format!("{}: ..", f.name)), "{}", f.name);
            }
        }
    }

    #[test]
    fn the_vocabulary_lists_every_event() {
        let out = vocabulary(TokenStream::new()).to_string();
        for l in LIFECYCLE {
            assert!(out.contains(&format!("\"{}\"", l.name)), "{out}");
        }
        assert!(out.contains("(\"agent_name\" , true)"), "{out}");
    }
}
