//! Expansion tests: the generated tokens, without compiling them.

use super::*;

fn run(args: &str, item: &str) -> String {
    expand(args.parse().unwrap(), item.parse().unwrap()).to_string()
}

#[test]
fn generates_builder_markers_and_wire_name() {
    let out = run(
        "",
        "pub struct progress_update { pub percent: u8, pub note: Option<String> }",
    );
    assert!(out.contains("__AgentwireBuilder_progress_update"), "{out}");
    assert!(
        out.contains("__agentwire_fields_of_progress_update :: percent"),
        "{out}"
    );
    assert!(
        !out.contains("__agentwire_fields_of_progress_update :: note"),
        "{out}"
    );
    assert!(
        out.contains("const NAME : & 'static str = \"progress_update\""),
        "{out}"
    );
    assert!(out.contains("CustomEvent for progress_update"), "{out}");
    assert!(out.contains("skip_serializing_if"), "{out}");
    assert!(!out.contains("compile_error"), "{out}");
}

#[test]
fn camel_case_types_get_snake_case_wire_names() {
    let out = run("", "struct ProgressUpdate { percent: u8 }");
    assert!(out.contains("\"progress_update\""), "{out}");
    let out = run(
        "name = \"step_done\"",
        "struct ProgressUpdate { percent: u8 }",
    );
    assert!(out.contains("\"step_done\""), "{out}");
}

#[test]
fn crate_path_is_used_everywhere() {
    let out = run("crate = ::aw", "struct e { x: u8 }");
    assert!(out.contains(":: aw :: __private :: Event"), "{out}");
    assert!(out.contains(":: aw :: __private :: RequiredField"), "{out}");
    assert!(!out.contains(":: agentwire ::"), "{out}");
}

fn error(args: &str, item: &str) -> String {
    let out = run(args, item);
    assert!(out.contains("compile_error"), "expected an error: {out}");
    out
}

#[test]
fn rejects_wrong_items() {
    assert!(error("", "enum e { A }").contains("an enum cannot be emitted"));
    assert!(error("", "union u { a: u8 }").contains("not a union"));
    assert!(error("", "struct e(u8);").contains("need names"));
    assert!(error("", "struct e<T> { t: T }").contains("cannot be generic"));
    assert!(error("", "struct e where u8: Copy { t: u8 }").contains("cannot be generic"));
    assert!(error("", "fn f() {}").contains("struct with named fields"));
}

#[test]
fn rejects_reserved_and_invalid_names() {
    assert!(error("", "struct agent_thinking { reasoning: String }").contains("reserved"));
    assert!(error("", "struct tool_result { r: u8 }").contains("reserved"));
    assert!(error("name = \"pong\"", "struct p { }").contains("wire protocol"));
    assert!(error("name = \"Bad-Name\"", "struct p { }").contains("cannot be an event's wire name"));
}

#[test]
fn rejects_bad_arguments() {
    assert!(error("nam = \"x\"", "struct p { }").contains("unknown argument `nam"));
    assert!(error("name = \"a\", name = \"b\"", "struct p { }").contains("given twice"));
    assert!(error("name", "struct p { }").contains("takes a value"));
}

#[test]
fn errors_keep_the_item() {
    let out = error("", "struct e(u8);");
    assert!(out.contains("struct e (u8)"), "{out}");
}
