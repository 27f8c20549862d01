//! The vocabulary the macros check against: the five lifecycle events, their
//! fields, and the names earlier designs used for them.

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

pub(crate) struct Field {
    pub(crate) name: &'static str,
    pub(crate) required: bool,
}

pub(crate) struct Lifecycle {
    pub(crate) name: &'static str,
    pub(crate) target: Target,
    pub(crate) fields: &'static [Field],
    /// The canonical call, as an author would write it.
    pub(crate) example: &'static str,
}

const fn req(name: &'static str) -> Field {
    Field {
        name,
        required: true,
    }
}

const fn opt(name: &'static str) -> Field {
    Field {
        name,
        required: false,
    }
}

pub(crate) const LIFECYCLE: &[Lifecycle] = &[
    Lifecycle {
        name: "agent_started",
        target: Target::Bridge,
        fields: &[req("agent_name"), opt("message")],
        example: "let run = emit!(bridge, agent_started { agent_name: .. })",
    },
    Lifecycle {
        name: "agent_thinking",
        target: Target::Run,
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
        fields: &[req("tool_name"), opt("parameters")],
        example: "let call = emit!(run, tool_executing { tool_name: .., parameters: .. })",
    },
    Lifecycle {
        name: "tool_completed",
        target: Target::ToolCall,
        fields: &[opt("result"), opt("error")],
        example: "emit!(call, tool_completed { result: .. })",
    },
    Lifecycle {
        name: "agent_completed",
        target: Target::OwnedRun,
        fields: &[opt("result"), opt("error")],
        example: "emit!(run, agent_completed { result: .. })",
    },
];

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

/// The closest candidate within a small edit distance, for "did you mean".
pub(crate) fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (edit_distance(name, c), c))
        .filter(|&(d, c)| d > 0 && d <= 2.max(c.len() / 4))
        .min_by_key(|&(d, _)| d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// `snake_case` of a Rust type name, for default wire names.
pub(crate) fn snake_case(ident: &str) -> String {
    let mut out = String::with_capacity(ident.len() + 4);
    for (i, ch) in ident.chars().enumerate() {
        if ch.is_ascii_uppercase() {
            if i > 0 && !out.ends_with('_') {
                out.push('_');
            }
            out.push(ch.to_ascii_lowercase());
        } else {
            out.push(ch);
        }
    }
    out
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_near_misses_only() {
        let names = LIFECYCLE.iter().map(|l| l.name);
        assert_eq!(
            did_you_mean("agent_thiking", names.clone()),
            Some("agent_thinking")
        );
        assert_eq!(
            did_you_mean("tool_complted", names.clone()),
            Some("tool_completed")
        );
        assert_eq!(did_you_mean("progress_update", names), None);
    }

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
    fn snake_cases_type_names() {
        assert_eq!(snake_case("ProgressUpdate"), "progress_update");
        assert_eq!(snake_case("progress_update"), "progress_update");
    }
}
