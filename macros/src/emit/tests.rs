//! Expansion tests: the generated tokens, without compiling them.

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
        out.contains(
            "__private :: events :: agent_started as $ crate :: __private :: Event > :: builder ()"
        ),
        "{out}"
    );
    assert!(out.contains(". agent_name (\"r\")"));
    let out = expand_str("::agentwire ; run, agent_thinking { reasoning }");
    assert!(out.contains("think"), "{out}");
    assert!(out.contains(". reasoning (reasoning)"), "{out}");
    assert!(expand_str("::a; call, tool_completed { result: x }").contains("complete_tool (call"));
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
    assert!(out.contains("not as a string or a value"), "{out}");
    assert!(
        out.contains("emit!(bridge, agent_started { agent_name: .. })"),
        "{out}"
    );
}

#[test]
fn events_given_as_values_are_quoted_as_written_and_asked_of_the_target() {
    for (event, written) in [
        ("EVENTS :: STARTED", "`EVENTS::STARTED`"),
        ("String :: from(\"x\")", "`String::from(\\\"x\\\")`"),
        ("\"x\" . to_string()", "`\\\"x\\\".to_string()`"),
        ("name", "`name`"),
    ] {
        let out = error_of(&format!("::a; bridge, {event}, data"));
        assert!(out.contains(written), "{written}: {out}");
        // The target's own message comes from the type system.
        assert!(
            out.contains("(bridge) . __agentwire_events_of_target"),
            "{out}"
        );
        assert!(out.contains("let _ = & (data)"), "{out}");
    }
    // A path with nothing after it is a named event missing its braces.
    assert!(error_of("::a; run, my::event").contains("after `my::event`"));
}

#[test]
fn agent_names_are_checked_or_typed() {
    let out = error_of("::a; bridge, agent_started { agent_name: \" \" }");
    assert!(out.contains("only whitespace"), "{out}");
    let out = error_of("::a; bridge, agent_started { agent_name: \"\" }");
    assert!(out.contains("it is empty"), "{out}");
    let out = expand_str("::a; bridge, agent_started { agent_name: name }");
    assert!(out.contains("AgentName :: __emit_field (name)"), "{out}");
    let out = expand_str("::a; bridge, agent_started { agent_name: \"r\" }");
    assert!(!out.contains("__emit_field"), "{out}");
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
    assert!(error_of("::a; run, agent_thinking;").contains("expected `{ .. }`"));
    let out = error_of("::a; run, agent_thinking { 0: x }");
    assert!(out.contains("named") && !out.contains("missing"), "{out}");
}
