//! The typestate builders `emit!` drives, and the traits `#[agent_event]`
//! implements. Generated code names them through [`crate::__private`].

use std::marker::PhantomData;

/// A builder slot that has not been given a value.
pub struct Unset;

/// A builder slot that has.
pub struct Set<T>(pub T);

/// What an event's field accepts: the field's type itself, and for text and
/// JSON fields the usual borrowed forms.
#[diagnostic::on_unimplemented(
    message = "a `{Self}` cannot be used for a field of type `{T}`",
    label = "expected a `{T}` here",
    note = "text fields take `&str` or `String`; `result` and `parameters` take a `serde_json::Value`, e.g. `json!(..)`"
)]
pub trait IntoField<T> {
    /// Converts the value.
    fn into_field(self) -> T;
}

impl<T> IntoField<T> for T {
    #[inline]
    fn into_field(self) -> T {
        self
    }
}

impl IntoField<String> for &str {
    #[inline]
    fn into_field(self) -> String {
        self.to_owned()
    }
}

impl IntoField<String> for &String {
    #[inline]
    fn into_field(self) -> String {
        self.clone()
    }
}

impl IntoField<String> for std::borrow::Cow<'_, str> {
    #[inline]
    fn into_field(self) -> String {
        self.into_owned()
    }
}

impl IntoField<serde_json::Value> for &str {
    #[inline]
    fn into_field(self) -> serde_json::Value {
        serde_json::Value::String(self.to_owned())
    }
}

impl IntoField<serde_json::Value> for String {
    #[inline]
    fn into_field(self) -> serde_json::Value {
        serde_json::Value::String(self)
    }
}

/// An optional field's slot: `None` unless given.
pub trait OptionalField<T> {
    /// The slot's value.
    fn take(self) -> Option<T>;
}

impl<T> OptionalField<T> for Unset {
    #[inline]
    fn take(self) -> Option<T> {
        None
    }
}

impl<T> OptionalField<T> for Set<T> {
    #[inline]
    fn take(self) -> Option<T> {
        Some(self.0)
    }
}

/// Implemented by `#[agent_event]` for every event type.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an event: declare it with `#[agent_event]`",
    label = "not an event",
    note = "`#[agent_event] pub struct {Self} {{ .. }}` makes it an event that `emit!(run, {Self} {{ .. }})` accepts"
)]
pub trait Event {
    /// The wire `type`.
    const NAME: &'static str;
    /// The typestate builder `emit!` drives, with no field given yet.
    type Builder;
    /// An empty builder.
    fn builder() -> Self::Builder;
}

/// A required field's builder slot: only a given (`Set`) slot has one.
#[diagnostic::on_unimplemented(
    message = "`emit!(.., {E} {{ .. }})` is missing the required field `{F}`",
    label = "add `{F}: ..` to this event",
    note = "only fields of type `Option<_>` may be left out"
)]
pub trait RequiredField<E, F> {
    /// The field's type.
    type Value;
    /// The given value.
    fn take(self) -> Self::Value;
}

#[diagnostic::do_not_recommend]
impl<E, F, T> RequiredField<E, F> for Set<T> {
    type Value = T;
    #[inline]
    fn take(self) -> T {
        self.0
    }
}

/// Implemented by `#[agent_event]` for user-declared, run-scoped events.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a custom event",
    label = "lifecycle events are named, not given by path",
    note = "write `emit!(run, agent_thinking {{ reasoning: .. }})` for a lifecycle event, and declare custom events with `#[agent_event]`"
)]
pub trait CustomEvent: Event + serde::Serialize {}

/// `emit!`'s field check for custom events: `field` is `|e| &e.name`, so a
/// name the event does not have is rustc's own "no field" error, which
/// lists the fields. The result is `builder`, typed through the field's
/// type `T`: when the field does not exist `T` stays unknown, the type of
/// the result with it, and rustc adds no second error for the setter call.
#[inline]
pub fn check_field<E, B, T>(
    builder: B,
    _field: impl FnOnce(&E) -> &T,
) -> <FieldType<T> as Through<B>>::Builder {
    <FieldType<T> as Through<B>>::through(builder)
}

/// See [`check_field`].
pub struct FieldType<T: ?Sized>(PhantomData<T>);

/// See [`check_field`]: the identity on builders, resolved only once the
/// field's type is known.
pub trait Through<B> {
    /// The builder, unchanged.
    type Builder;
    /// Returns the builder as it was given.
    fn through(builder: B) -> Self::Builder;
}

impl<B, T> Through<B> for FieldType<T> {
    type Builder = B;
    #[inline]
    fn through(builder: B) -> B {
        builder
    }
}

/// Never used: a second impl that an unknown `T` could match keeps rustc
/// from resolving `Through` before `T` is known (no field is a `str`).
impl<B> Through<B> for FieldType<str> {
    type Builder = B;
    #[inline]
    fn through(builder: B) -> B {
        builder
    }
}
