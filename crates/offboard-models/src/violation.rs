//! What a validation found wrong, and how AWS words it.

use std::fmt;

use serde_json::Value;

/// Which of AWS's failure classes a violation belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ViolationKind {
    /// A constraint (required, length, pattern, range, enum) failed: AWS answers
    /// `ValidationException` listing every such failure.
    Constraint,
    /// The JSON cannot be read as the shape (wrong type, number out of its type's range, a union
    /// with other than one member set): AWS answers `SerializationException` before validating.
    Serialization,
    /// A member name the shape lacks. Only reported for outputs and errors; AWS ignores unknown
    /// members in requests (see [`crate::Model::validate_input`]).
    UnknownMember,
    /// The operation or error shape is not in the model.
    UnknownOperation,
}

/// One failure, located by `path`.
///
/// For request validation `path` is AWS's: member names with the first letter lower-cased, list
/// items as `name.<1-based index>.member` (e.g. `userStackAssociations.1.member.userName`). For
/// outputs and errors it uses the wire names, `Name[0].Inner`, which is what a developer greps for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub path: String,
    /// The constraint text without the location, e.g. `Member must not be null`.
    pub message: String,
    pub kind: ViolationKind,
    /// The offending value as AWS prints it (`'x'`, `null`); `None` for sensitive shapes, whose
    /// values AWS leaves out of messages.
    pub value: Option<String>,
}

impl Violation {
    pub(crate) fn new(kind: ViolationKind, path: &str, value: Option<String>, message: impl Into<String>) -> Violation {
        Violation { path: path.to_owned(), message: message.into(), kind, value }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            ViolationKind::Constraint => {
                match &self.value {
                    Some(value) => write!(f, "Value {value} at '{}'", self.path)?,
                    None => write!(f, "Value at '{}'", self.path)?,
                }
                write!(f, " failed to satisfy constraint: {}", self.message)
            }
            _ if self.path.is_empty() => f.write_str(&self.message),
            _ => write!(f, "at '{}': {}", self.path, self.message),
        }
    }
}

/// All failures of one validation, in the order they were found (members in alphabetical order,
/// depth first).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.aws_message())]
pub struct Violations(pub Vec<Violation>);

impl Violations {
    /// The AWS error code a service would answer with: `SerializationException` when the body
    /// cannot be read as the shape, `UnknownOperationException` for an unknown operation,
    /// otherwise `ValidationException`.
    pub fn error_code(&self) -> &'static str {
        if self.first_of(ViolationKind::UnknownOperation).is_some() {
            "UnknownOperationException"
        } else if self.first_of(ViolationKind::Serialization).is_some() {
            "SerializationException"
        } else {
            "ValidationException"
        }
    }

    /// The message AWS would send with [`Self::error_code`]. For validation errors:
    /// `2 validation errors detected: Value 'x' at 'a.1.member.b' failed to satisfy constraint:
    /// Member must have length less than or equal to 128; Value null at 'c' failed to satisfy
    /// constraint: Member must not be null`. For the other codes, the first such violation.
    pub fn aws_message(&self) -> String {
        for kind in [ViolationKind::UnknownOperation, ViolationKind::Serialization] {
            if let Some(v) = self.first_of(kind) {
                return v.to_string();
            }
        }
        let n = self.0.len();
        let plural = if n == 1 { "" } else { "s" };
        let details: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        format!("{n} validation error{plural} detected: {}", details.join("; "))
    }

    fn first_of(&self, kind: ViolationKind) -> Option<&Violation> {
        self.0.iter().find(|v| v.kind == kind)
    }
}

/// Renders a JSON value the way AWS's (Java) validation messages print it: scalars in single
/// quotes, `null` bare, lists as `'[a, b]'`.
pub(crate) fn render_value(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        other => format!("'{}'", render_inner(other)),
    }
}

fn render_inner(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(render_inner).collect();
            format!("[{}]", inner.join(", "))
        }
        Value::Object(_) => value.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn renders_values_like_aws() {
        assert_eq!(render_value(&json!("x")), "'x'");
        assert_eq!(render_value(&json!(null)), "null");
        assert_eq!(render_value(&json!(5)), "'5'");
        assert_eq!(render_value(&json!(["a", "b"])), "'[a, b]'");
    }

    #[test]
    fn aws_message_lists_every_constraint_failure() {
        let v = Violations(vec![
            Violation::new(
                ViolationKind::Constraint,
                "userStackAssociations.1.member.userName",
                Some("'x'".to_owned()),
                "Member must have length less than or equal to 128",
            ),
            Violation::new(
                ViolationKind::Constraint,
                "instanceArn",
                Some("null".to_owned()),
                "Member must not be null",
            ),
        ]);
        assert_eq!(v.error_code(), "ValidationException");
        assert_eq!(
            v.aws_message(),
            "2 validation errors detected: Value 'x' at 'userStackAssociations.1.member.userName' \
             failed to satisfy constraint: Member must have length less than or equal to 128; \
             Value null at 'instanceArn' failed to satisfy constraint: Member must not be null"
        );
        assert_eq!(v.to_string(), v.aws_message());
    }

    #[test]
    fn single_error_is_singular_and_sensitive_values_are_left_out() {
        let v = Violations(vec![Violation::new(
            ViolationKind::Constraint,
            "password",
            None,
            "Member must have length greater than or equal to 6",
        )]);
        assert_eq!(
            v.aws_message(),
            "1 validation error detected: Value at 'password' failed to satisfy constraint: \
             Member must have length greater than or equal to 6"
        );
    }

    #[test]
    fn serialization_failures_take_precedence() {
        let v = Violations(vec![
            Violation::new(ViolationKind::Constraint, "a", Some("null".to_owned()), "Member must not be null"),
            Violation::new(ViolationKind::Serialization, "b", Some("'1'".to_owned()), "expected a string"),
        ]);
        assert_eq!(v.error_code(), "SerializationException");
        assert_eq!(v.aws_message(), "at 'b': expected a string");
    }
}
