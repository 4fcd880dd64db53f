//! Checking a JSON body (the awsJson view of a request, response or error) against a shape.
//!
//! Requests get AWS's full server-side treatment: types, then every constraint. Responses and
//! errors only get conformance checks (known member names, types, required members): their values
//! are AWS's data, and clients accept e.g. enum values newer than their model.

use serde_json::{Map, Value};

use crate::model::Model;
use crate::shape::{Shape, ShapeType};
use crate::violation::{Violation, ViolationKind, Violations, render_value};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Input,
    Output,
    Error,
}

impl Model {
    /// Validates a request body the way AWS does.
    ///
    /// `body` is the awsJson view of the request (timestamps as epoch-second numbers, blobs as
    /// base64); `Value::Null` stands for an empty body. Checks types (failures are
    /// [`ViolationKind::Serialization`]), then required members, string/list/map lengths
    /// (strings count Unicode scalar values, as Smithy's `@length` specifies), whole-value
    /// patterns, number ranges, enum values and that a union has exactly one member set.
    ///
    /// Unknown members are **not** violations: AWS's JSON protocols skip members they do not know
    /// (that is how older servers accept newer clients, and why Smithy had to tell deserializers to
    /// skip `__type` inside unions). [`Model::unknown_input_members`] lists them for logging.
    pub fn validate_input(&self, op: &str, body: &Value) -> Result<(), Violations> {
        self.validate_operation_part(op, body, Mode::Input).map(drop)
    }

    /// Paths of the members of a request body that the input shape does not have (AWS ignores them).
    pub fn unknown_input_members(&self, op: &str, body: &Value) -> Vec<String> {
        match self.validate_operation_part(op, body, Mode::Input) {
            Ok(unknown) => unknown,
            Err(_) => {
                // The body has violations too; walk again only to collect the unknown names.
                let Some(shape) = self.input_shape(op) else {
                    return Vec::new();
                };
                let mut walker = Walker::new(self, Mode::Input);
                walker.top(shape, body);
                walker.unknown
            }
        }
    }

    /// Checks that a response body conforms to the output shape of `op`: every member name exists,
    /// types match, required members are present, unions have one member set. No constraint checks.
    /// An operation without output accepts only an empty body (`{}` or `Value::Null`).
    pub fn validate_output(&self, op: &str, body: &Value) -> Result<(), Violations> {
        self.validate_operation_part(op, body, Mode::Output).map(drop)
    }

    /// Checks an error body against the error shape `error_shape` (e.g. `ValidationException`), as
    /// [`Model::validate_output`] does. awsJson error bodies may carry `__type`, and services send the
    /// `Message` member as `message`, so both are accepted.
    pub fn validate_error(&self, error_shape: &str, body: &Value) -> Result<(), Violations> {
        match self.shape(error_shape) {
            Some(shape) if shape.exception => {
                let mut walker = Walker::new(self, Mode::Error);
                walker.top(error_shape, body);
                walker.finish().map(drop)
            }
            Some(_) => {
                Err(unknown(format!("shape `{error_shape}` is not an error shape; expected one marked `exception`")))
            }
            None => Err(unknown(format!("the model has no error shape `{error_shape}`"))),
        }
    }

    fn validate_operation_part(&self, op: &str, body: &Value, mode: Mode) -> Result<Vec<String>, Violations> {
        let Some(operation) = self.operation(op) else {
            return Err(unknown(format!(
                "the model has no operation `{op}` (target prefix {}); known operations: {}",
                self.target_prefix(),
                self.operation_names().collect::<Vec<_>>().join(", ")
            )));
        };
        let shape = if mode == Mode::Input { operation.input.as_deref() } else { operation.output.as_deref() };
        let mut walker = Walker::new(self, mode);
        match shape {
            Some(shape) => walker.top(shape, body),
            None => walker.empty_body(body),
        }
        walker.finish()
    }
}

fn unknown(message: String) -> Violations {
    Violations(vec![Violation::new(ViolationKind::UnknownOperation, "", None, message)])
}

struct Walker<'m> {
    model: &'m Model,
    mode: Mode,
    violations: Vec<Violation>,
    unknown: Vec<String>,
}

impl<'m> Walker<'m> {
    fn new(model: &'m Model, mode: Mode) -> Self {
        Walker { model, mode, violations: Vec::new(), unknown: Vec::new() }
    }

    fn finish(self) -> Result<Vec<String>, Violations> {
        if self.violations.is_empty() { Ok(self.unknown) } else { Err(Violations(self.violations)) }
    }

    fn top(&mut self, shape_name: &str, body: &Value) {
        // An empty HTTP body is an empty structure.
        let empty = Value::Object(Map::new());
        let body = if body.is_null() { &empty } else { body };
        self.value(shape_name, body, "");
    }

    fn empty_body(&mut self, body: &Value) {
        let is_empty = match body {
            Value::Null => true,
            Value::Object(o) => o.is_empty(),
            _ => false,
        };
        if !is_empty {
            self.push(
                ViolationKind::UnknownMember,
                "",
                Some(render_value(body)),
                "the operation has no output shape; expected an empty body ({} or nothing)",
            );
        }
    }

    fn push(&mut self, kind: ViolationKind, path: &str, value: Option<String>, message: impl Into<String>) {
        self.violations.push(Violation::new(kind, path, value, message));
    }

    fn member_path(&self, parent: &str, member: &str) -> String {
        let name = if self.mode == Mode::Input { lower_first(member) } else { member.to_owned() };
        if parent.is_empty() { name } else { format!("{parent}.{name}") }
    }

    fn item_path(&self, parent: &str, index: usize) -> String {
        if self.mode == Mode::Input { format!("{parent}.{}.member", index + 1) } else { format!("{parent}[{index}]") }
    }

    fn checks_constraints(&self) -> bool {
        self.mode == Mode::Input
    }

    fn value(&mut self, shape_name: &str, value: &Value, path: &str) {
        let Some(shape) = self.model.shape(shape_name) else {
            // Model::from_json checked every reference, so this cannot happen for a parsed model.
            self.push(ViolationKind::UnknownOperation, path, None, format!("the model has no shape `{shape_name}`"));
            return;
        };
        let shown = (!shape.sensitive).then(|| render_value(value));
        match (shape.shape_type, value) {
            (ShapeType::Document, _) => {}
            (ShapeType::Structure, Value::Object(obj)) => self.structure(shape, obj, path),
            (ShapeType::Union, Value::Object(obj)) => self.union(shape, obj, path),
            (ShapeType::List, Value::Array(items)) => self.list(shape, items, path, shown),
            (ShapeType::Map, Value::Object(obj)) => self.map(shape, obj, path, shown),
            (ShapeType::String, Value::String(s)) => self.string(shape, s, path, shown),
            (ShapeType::Boolean, Value::Bool(_)) => {}
            (ShapeType::Blob, Value::String(_)) => {}
            (ShapeType::Timestamp, Value::Number(_)) => {}
            (ShapeType::Integer | ShapeType::Long, Value::Number(n)) => {
                self.integer(shape, n, path, shown);
            }
            (ShapeType::Double | ShapeType::Float, Value::Number(n)) => {
                if let Some(x) = n.as_f64() {
                    self.range(shape, x, path, shown);
                }
            }
            // awsJson sends non-finite floating-point numbers as these strings.
            (ShapeType::Double | ShapeType::Float, Value::String(s))
                if matches!(s.as_str(), "NaN" | "Infinity" | "-Infinity") => {}
            (expected, _) => self.push(
                ViolationKind::Serialization,
                path,
                shown,
                format!("expected {} for shape `{}`, found {}", json_form(expected), shape.name, json_kind(value)),
            ),
        }
    }

    fn structure(&mut self, shape: &Shape, obj: &Map<String, Value>, path: &str) {
        self.unknown_members(shape, obj, path);
        for member in &shape.members {
            let member_path = self.member_path(path, &member.name);
            match self.member_value(obj, &member.name) {
                Some(value) => self.value(&member.target, value, &member_path),
                None if member.required => self.push(
                    ViolationKind::Constraint,
                    &member_path,
                    Some("null".to_owned()),
                    "Member must not be null",
                ),
                None => {}
            }
        }
    }

    fn union(&mut self, shape: &Shape, obj: &Map<String, Value>, path: &str) {
        self.unknown_members(shape, obj, path);
        let set: Vec<&str> = shape
            .members
            .iter()
            .filter(|m| self.member_value(obj, &m.name).is_some())
            .map(|m| m.name.as_str())
            .collect();
        if set.len() != 1 {
            let names: Vec<&str> = shape.members.iter().map(|m| m.name.as_str()).collect();
            self.push(
                ViolationKind::Serialization,
                path,
                None,
                format!(
                    "union `{}` must have exactly one member set (one of: {}), but {} {} set{}",
                    shape.name,
                    names.join(", "),
                    set.len(),
                    if set.len() == 1 { "is" } else { "are" },
                    if set.is_empty() { String::new() } else { format!(": {}", set.join(", ")) }
                ),
            );
        }
        for member in &shape.members {
            if let Some(value) = self.member_value(obj, &member.name) {
                let member_path = self.member_path(path, &member.name);
                self.value(&member.target, value, &member_path);
            }
        }
    }

    /// A member's value; JSON `null` counts as absent, as it does for AWS and the SDKs.
    fn member_value<'v>(&self, obj: &'v Map<String, Value>, name: &str) -> Option<&'v Value> {
        let found = obj.get(name).or_else(|| {
            // awsJson services send the `Message` member of errors as `message`.
            (self.mode == Mode::Error && name == "Message").then(|| obj.get("message")).flatten()
        });
        found.filter(|v| !v.is_null())
    }

    fn unknown_members(&mut self, shape: &Shape, obj: &Map<String, Value>, path: &str) {
        for key in obj.keys() {
            let known = shape.member(key).is_some()
                || (key == "__type" && (self.mode == Mode::Error || shape.shape_type == ShapeType::Union))
                || (key == "message" && self.mode == Mode::Error && shape.member("Message").is_some());
            if known {
                continue;
            }
            let key_path = self.member_path(path, key);
            if self.mode == Mode::Input {
                self.unknown.push(key_path);
            } else {
                let names: Vec<&str> = shape.members.iter().map(|m| m.name.as_str()).collect();
                self.push(
                    ViolationKind::UnknownMember,
                    &key_path,
                    None,
                    format!("shape `{}` has no member `{key}`; its members are: {}", shape.name, names.join(", ")),
                );
            }
        }
    }

    fn list(&mut self, shape: &Shape, items: &[Value], path: &str, shown: Option<String>) {
        if self.checks_constraints() {
            self.length(shape, items.len(), path, shown);
        }
        let Some(member) = shape.list_member.as_deref() else {
            return;
        };
        for (index, item) in items.iter().enumerate() {
            let item_path = self.item_path(path, index);
            if item.is_null() {
                if self.checks_constraints() {
                    self.push(
                        ViolationKind::Constraint,
                        &item_path,
                        Some("null".to_owned()),
                        "Member must not be null",
                    );
                }
            } else {
                self.value(member, item, &item_path);
            }
        }
    }

    fn map(&mut self, shape: &Shape, obj: &Map<String, Value>, path: &str, shown: Option<String>) {
        if self.checks_constraints() {
            self.length(shape, obj.len(), path, shown);
        }
        for (key, value) in obj {
            if let Some(key_shape) = shape.map_key.as_deref() {
                self.value(key_shape, &Value::String(key.clone()), path);
            }
            if let Some(value_shape) = shape.map_value.as_deref()
                && !value.is_null()
            {
                let value_path = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
                self.value(value_shape, value, &value_path);
            }
        }
    }

    fn string(&mut self, shape: &Shape, s: &str, path: &str, shown: Option<String>) {
        if !self.checks_constraints() {
            return;
        }
        self.length(shape, s.chars().count(), path, shown.clone());
        if let Some(pattern) = shape.pattern.as_deref()
            && shape.pattern_matches(s) == Some(false)
        {
            self.push(
                ViolationKind::Constraint,
                path,
                shown.clone(),
                format!("Member must satisfy regular expression pattern: {pattern}"),
            );
        }
        if !shape.enum_values.is_empty() && !shape.enum_values.iter().any(|e| e == s) {
            self.push(
                ViolationKind::Constraint,
                path,
                shown,
                format!("Member must satisfy enum value set: [{}]", shape.enum_values.join(", ")),
            );
        }
    }

    fn length(&mut self, shape: &Shape, len: usize, path: &str, shown: Option<String>) {
        let len = len as u64;
        if let Some(max) = shape.max_length()
            && len > max
        {
            self.push(
                ViolationKind::Constraint,
                path,
                shown.clone(),
                format!("Member must have length less than or equal to {max}"),
            );
        }
        if let Some(min) = shape.min_length()
            && len < min
        {
            self.push(
                ViolationKind::Constraint,
                path,
                shown,
                format!("Member must have length greater than or equal to {min}"),
            );
        }
    }

    fn integer(&mut self, shape: &Shape, n: &serde_json::Number, path: &str, shown: Option<String>) {
        let (lo, hi) = if shape.shape_type == ShapeType::Integer {
            (i64::from(i32::MIN), i64::from(i32::MAX))
        } else {
            (i64::MIN, i64::MAX)
        };
        match n.as_i64().filter(|x| (lo..=hi).contains(x)) {
            // i64 -> f64 can round above 2^53, beyond every bound in the models.
            Some(x) => self.range(shape, x as f64, path, shown),
            None => self.push(
                ViolationKind::Serialization,
                path,
                shown,
                format!(
                    "expected a whole number in {lo}..={hi} for {} shape `{}`, found {n}",
                    shape.shape_type.as_str(),
                    shape.name
                ),
            ),
        }
    }

    fn range(&mut self, shape: &Shape, x: f64, path: &str, shown: Option<String>) {
        if !self.checks_constraints() {
            return;
        }
        if let Some(max) = shape.max
            && x > max
        {
            self.push(
                ViolationKind::Constraint,
                path,
                shown.clone(),
                format!("Member must have value less than or equal to {max}"),
            );
        }
        if let Some(min) = shape.min
            && x < min
        {
            self.push(
                ViolationKind::Constraint,
                path,
                shown,
                format!("Member must have value greater than or equal to {min}"),
            );
        }
    }
}

/// `InstanceArn` -> `instanceArn`: AWS names members this way in validation messages.
fn lower_first(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn json_form(shape_type: ShapeType) -> &'static str {
    match shape_type {
        ShapeType::Structure | ShapeType::Union | ShapeType::Map => "a JSON object",
        ShapeType::Document => "any JSON value",
        ShapeType::List => "a JSON array",
        ShapeType::String => "a string",
        ShapeType::Blob => "a base64 string",
        ShapeType::Boolean => "true or false",
        ShapeType::Timestamp => "a number of epoch seconds",
        ShapeType::Integer | ShapeType::Long => "a whole number",
        ShapeType::Double | ShapeType::Float => "a number",
    }
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::lower_first;

    #[test]
    fn lower_first_matches_aws_member_paths() {
        assert_eq!(lower_first("InstanceArn"), "instanceArn");
        assert_eq!(lower_first("errors"), "errors");
        assert_eq!(lower_first("Id"), "id");
        assert_eq!(lower_first(""), "");
    }
}
