//! Compile-fail and compile-pass cases for `agentwire`'s macros and legacy
//! tombstones; they live in `tests/ui/`, run by `tests/ui.rs`.
