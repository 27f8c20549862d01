//! TypeScript types from the schema document.
//!
//! Handles what the document uses: `$ref`, `const`, string `enum`,
//! `oneOf`/`anyOf`, objects with `properties`, arrays, the primitive types
//! and any-JSON (`true` or `{}`). Anything else in a custom event's schema
//! becomes `JsonValue`, which is wide but never wrong.

use std::fmt::Write as _;

use serde_json::Value;

/// The TypeScript module for `doc`: one exported type per definition.
pub(super) fn generate(doc: &Value) -> String {
    let mut out = String::new();
    out.push_str(
        "// Generated from the agentwire wire protocol's JSON Schema by\n\
         // `agentwire::schema::Schema::typescript`. Do not edit: regenerate with\n\
         // `AGENTWIRE_BLESS=1 cargo test --test schema`.\n\n",
    );
    if let Some(text) = doc.get("description").and_then(Value::as_str) {
        for line in text.lines() {
            let _ = writeln!(out, "// {line}");
        }
        out.push('\n');
    }
    out.push_str(
        "/** Any JSON value. */\nexport type JsonValue =\n  | null\n  | boolean\n  | number\n  | string\n  | JsonValue[]\n  | { [key: string]: JsonValue };\n",
    );
    let Some(defs) = doc.get("$defs").and_then(Value::as_object) else {
        return out;
    };
    for (name, schema) in defs {
        out.push('\n');
        if let Some(text) = schema.get("description").and_then(Value::as_str) {
            doc_comment(&mut out, "", text);
        }
        let ident = type_name(name);
        if is_object(schema) && schema.get("properties").is_some() {
            let _ = write!(out, "export interface {ident} ");
            object_body(&mut out, schema, "");
            out.push('\n');
        } else {
            let _ = writeln!(out, "export type {ident} = {};", ty(schema, ""));
        }
    }
    out
}

fn is_object(schema: &Value) -> bool {
    schema.get("type").and_then(Value::as_str) == Some("object")
}

/// A definition's name as a TypeScript identifier: `progress_update` →
/// `ProgressUpdate`.
fn type_name(name: &str) -> String {
    let mut out = String::new();
    let mut upper = true;
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            if upper {
                out.extend(c.to_uppercase());
            } else {
                out.push(c);
            }
            upper = false;
        } else {
            upper = true;
        }
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'T');
    }
    out
}

fn doc_comment(out: &mut String, indent: &str, text: &str) {
    let text = text.replace("*/", "*\\/");
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() == 1 {
        let _ = writeln!(out, "{indent}/** {} */", lines[0]);
        return;
    }
    let _ = writeln!(out, "{indent}/**");
    for line in lines {
        if line.is_empty() {
            let _ = writeln!(out, "{indent} *");
        } else {
            let _ = writeln!(out, "{indent} * {line}");
        }
    }
    let _ = writeln!(out, "{indent} */");
}

/// `{ ... }` of an object schema with properties; `type` first, then the
/// others in the document's (sorted) order.
fn object_body(out: &mut String, schema: &Value, indent: &str) {
    let inner = format!("{indent}  ");
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut props: Vec<(&String, &Value)> = schema
        .get("properties")
        .and_then(Value::as_object)
        .map(|p| p.iter().collect())
        .unwrap_or_default();
    props.sort_by_key(|(k, _)| k.as_str() != "type");
    out.push_str("{\n");
    for (key, prop) in props {
        if let Some(text) = prop.get("description").and_then(Value::as_str) {
            doc_comment(out, &inner, text);
        }
        let optional = if required.contains(&key.as_str()) {
            ""
        } else {
            "?"
        };
        let _ = writeln!(
            out,
            "{inner}{}{optional}: {};",
            property_name(key),
            ty(prop, &inner)
        );
    }
    match schema.get("additionalProperties") {
        Some(Value::Bool(false)) => {}
        Some(extra @ Value::Object(_)) => {
            let _ = writeln!(out, "{inner}[key: string]: {};", ty(extra, &inner));
        }
        // JSON Schema allows other properties unless told otherwise.
        _ => {
            let _ = writeln!(out, "{inner}[key: string]: JsonValue;");
        }
    }
    let _ = write!(out, "{indent}}}");
}

fn property_name(key: &str) -> String {
    let ident = key.chars().enumerate().all(|(i, c)| {
        c == '_' || c == '$' || c.is_ascii_alphabetic() || (i > 0 && c.is_ascii_digit())
    });
    if ident && !key.is_empty() {
        key.to_owned()
    } else {
        Value::from(key).to_string()
    }
}

/// The TypeScript type of a schema.
fn ty(schema: &Value, indent: &str) -> String {
    let Value::Object(obj) = schema else {
        // `true` accepts any JSON, `false` none.
        return if schema == &Value::Bool(false) {
            "never".into()
        } else {
            "JsonValue".into()
        };
    };
    if let Some(reference) = obj.get("$ref").and_then(Value::as_str) {
        return match reference.strip_prefix("#/$defs/") {
            Some(name) => type_name(name),
            None => "JsonValue".into(),
        };
    }
    if let Some(value) = obj.get("const") {
        return value.to_string();
    }
    if let Some(Value::Array(values)) = obj.get("enum") {
        return union(values.iter().map(Value::to_string).collect());
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(Value::Array(members)) = obj.get(key) {
            return union(members.iter().map(|m| ty(m, indent)).collect());
        }
    }
    if let Some(Value::Array(all)) = obj.get("allOf") {
        if all.len() == 1 {
            return ty(&all[0], indent);
        }
        return "JsonValue".into();
    }
    match obj.get("type") {
        Some(Value::String(t)) => primitive(t, schema, indent),
        Some(Value::Array(types)) => union(
            types
                .iter()
                .filter_map(Value::as_str)
                .map(|t| primitive(t, schema, indent))
                .collect(),
        ),
        _ => "JsonValue".into(),
    }
}

fn primitive(t: &str, schema: &Value, indent: &str) -> String {
    match t {
        "string" => "string".into(),
        "integer" | "number" => "number".into(),
        "boolean" => "boolean".into(),
        "null" => "null".into(),
        "array" => match schema.get("items") {
            Some(items) => {
                let item = ty(items, indent);
                if item.contains(' ') {
                    format!("Array<{item}>")
                } else {
                    format!("{item}[]")
                }
            }
            None => "JsonValue[]".into(),
        },
        "object" if schema.get("properties").is_some() => {
            let mut out = String::new();
            object_body(&mut out, schema, indent);
            out
        }
        "object" => match schema.get("additionalProperties") {
            Some(extra @ Value::Object(_)) => format!("{{ [key: string]: {} }}", ty(extra, indent)),
            _ => "{ [key: string]: JsonValue }".into(),
        },
        _ => "JsonValue".into(),
    }
}

fn union(mut members: Vec<String>) -> String {
    members.dedup();
    match members.len() {
        0 => "never".into(),
        1 => members.remove(0),
        _ => members.join(" | "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn types_of_schemas() {
        assert_eq!(ty(&json!(true), ""), "JsonValue");
        assert_eq!(ty(&json!({}), ""), "JsonValue");
        assert_eq!(
            ty(&json!({"$ref": "#/$defs/progress_update"}), ""),
            "ProgressUpdate"
        );
        assert_eq!(ty(&json!({"const": "ping"}), ""), "\"ping\"");
        assert_eq!(ty(&json!({"enum": ["a", "b"]}), ""), "\"a\" | \"b\"");
        assert_eq!(
            ty(&json!({"type": ["string", "null"]}), ""),
            "string | null"
        );
        assert_eq!(
            ty(&json!({"type": "array", "items": {"type": "integer"}}), ""),
            "number[]"
        );
        assert_eq!(
            ty(
                &json!({"type": "object", "properties": {"a": {"type": "boolean"}}, "required": ["a"], "additionalProperties": false}),
                ""
            ),
            "{\n  a: boolean;\n}"
        );
        assert_eq!(
            ty(
                &json!({"type": "object", "properties": {"my-key": {"type": "string"}}}),
                ""
            ),
            "{\n  \"my-key\"?: string;\n  [key: string]: JsonValue;\n}"
        );
        assert_eq!(ty(&json!({"if": {}}), ""), "JsonValue");
    }

    #[test]
    fn names_and_comments() {
        assert_eq!(type_name("progress_update"), "ProgressUpdate");
        assert_eq!(type_name("Nullable_String"), "NullableString");
        assert_eq!(type_name("9lives"), "T9lives");
        let mut out = String::new();
        doc_comment(&mut out, "  ", "one */ two");
        assert_eq!(out, "  /** one *\\/ two */\n");
    }
}
