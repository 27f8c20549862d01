//! Compile-fail and compile-pass cases: every legacy call shape and every
//! macro mistake fails with one error that names the fix. Bless changed
//! messages with `TRYBUILD=overwrite cargo test -p agentwire-ui-tests` and
//! review the `.stderr` diff.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/*/pass/*.rs");
    t.compile_fail("tests/ui/*/fail/*.rs");
}
