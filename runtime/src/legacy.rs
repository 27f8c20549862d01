//! Tombstones of the call shapes of earlier designs: each fails to compile
//! with a message that names the replacement.
