// #[agent] goes on a handler function, not on a type.
use agentwire::prelude::*;

#[agent]
pub struct Researcher;

fn main() {}
