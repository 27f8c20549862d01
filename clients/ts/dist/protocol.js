// Generated from the agentwire wire protocol's JSON Schema by
// `agentwire::schema::Schema::typescript`. Do not edit: regenerate with
// `AGENTWIRE_BLESS=1 cargo test --test schema`.
export {};
