//! One named shape of a model: its type, its constraints and, for aggregates, what it contains.

use std::sync::OnceLock;

use regex::Regex;

use crate::pattern;

/// The type of a shape, as botocore spells it (`"type"`), with two refinements botocore expresses
/// as flags on `structure`: unions (`"union": true`) and documents (`"document": true`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ShapeType {
    Structure,
    /// A structure of which exactly one member must be set.
    Union,
    /// Free-form JSON (Smithy `document`); any JSON value is valid.
    Document,
    List,
    Map,
    String,
    Integer,
    Long,
    Boolean,
    /// Epoch seconds (a JSON number) in awsJson; a CBOR tag-1 value in rpcv2Cbor.
    Timestamp,
    /// Base64 text in JSON.
    Blob,
    Double,
    Float,
}

impl ShapeType {
    /// The botocore name of the type (`union` and `document` are reported as such).
    pub fn as_str(self) -> &'static str {
        match self {
            ShapeType::Structure => "structure",
            ShapeType::Union => "union",
            ShapeType::Document => "document",
            ShapeType::List => "list",
            ShapeType::Map => "map",
            ShapeType::String => "string",
            ShapeType::Integer => "integer",
            ShapeType::Long => "long",
            ShapeType::Boolean => "boolean",
            ShapeType::Timestamp => "timestamp",
            ShapeType::Blob => "blob",
            ShapeType::Double => "double",
            ShapeType::Float => "float",
        }
    }

    /// True for the types whose JSON form is a number (timestamps included, as awsJson sends them).
    pub fn is_number(self) -> bool {
        matches!(
            self,
            ShapeType::Integer | ShapeType::Long | ShapeType::Double | ShapeType::Float | ShapeType::Timestamp
        )
    }
}

/// A member of a structure or union.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    /// The member name, which is also its key on the wire (none of the four models renames members).
    pub name: String,
    /// The name of the shape the member targets.
    pub target: String,
    /// Listed in the structure's `required` array.
    pub required: bool,
    /// `idempotencyToken`: SDKs fill the member in with a UUID when the caller leaves it out.
    pub idempotency_token: bool,
}

/// A parsed shape. Fields hold what the model says; absent constraints are `None`/empty.
#[derive(Debug)]
pub struct Shape {
    pub name: String,
    pub shape_type: ShapeType,
    /// `min`: a length (string chars, list items, map entries, blob bytes) or a number's lower bound.
    pub min: Option<f64>,
    /// `max`: as `min`, upper bound.
    pub max: Option<f64>,
    /// The pattern exactly as the model writes it; AWS matches it against the whole value.
    pub pattern: Option<String>,
    /// Allowed values of an enum string; empty when the string is not an enum.
    pub enum_values: Vec<String>,
    /// Members of a structure or union, sorted by name (deterministic whatever serde_json's map order).
    pub members: Vec<Member>,
    /// The element shape of a list.
    pub list_member: Option<String>,
    /// The key shape of a map.
    pub map_key: Option<String>,
    /// The value shape of a map.
    pub map_value: Option<String>,
    /// An error shape (`"exception": true`).
    pub exception: bool,
    /// `"sensitive": true`: AWS leaves the value out of validation messages.
    pub sensitive: bool,
    /// HTTP status of an error shape, when the model gives one (`error.httpStatusCode`).
    pub http_status: Option<u16>,
    pub(crate) compiled_pattern: OnceLock<Option<Regex>>,
}

impl Shape {
    /// The member called `name`, if the shape is a structure or union that has it.
    pub fn member(&self, name: &str) -> Option<&Member> {
        self.members.iter().find(|m| m.name == name)
    }

    /// Structures and unions have members; everything else does not.
    pub fn has_members(&self) -> bool {
        matches!(self.shape_type, ShapeType::Structure | ShapeType::Union)
    }

    /// `min` as a whole length, for strings, lists, maps and blobs.
    pub fn min_length(&self) -> Option<u64> {
        self.length_bound(self.min)
    }

    /// `max` as a whole length, for strings, lists, maps and blobs.
    pub fn max_length(&self) -> Option<u64> {
        self.length_bound(self.max)
    }

    fn length_bound(&self, bound: Option<f64>) -> Option<u64> {
        match self.shape_type {
            ShapeType::String | ShapeType::List | ShapeType::Map | ShapeType::Blob => {
                // Lengths in the models are small non-negative integers, so the cast is exact.
                bound.filter(|b| *b >= 0.0).map(|b| b as u64)
            }
            _ => None,
        }
    }

    /// The compiled pattern (anchored to the whole value), or `None` when the shape has no pattern
    /// or its pattern uses syntax the `regex` crate lacks (see [`crate::Model::uncompilable_patterns`]).
    /// Compiled once, on first use.
    pub fn pattern_regex(&self) -> Option<&Regex> {
        self.compiled_pattern
            .get_or_init(|| {
                let raw = self.pattern.as_deref()?;
                pattern::compile_whole_value(raw).ok()
            })
            .as_ref()
    }

    /// Whether `value` matches the pattern; `None` when there is no usable pattern.
    pub fn pattern_matches(&self, value: &str) -> Option<bool> {
        self.pattern_regex().map(|re| re.is_match(value))
    }

    /// Whether AWS would accept `value` for this string shape: its length in Unicode scalar
    /// values (how Smithy's `@length` counts) within `min..=max`, its pattern matched by the
    /// whole value, and one of the enum values if the shape is an enum. These are the checks
    /// [`crate::Model::validate_input`] makes of a string, for callers that check values before
    /// any request exists (e.g. the sandbox's fixture). A pattern the `regex` crate cannot
    /// compile is not checked, as there.
    pub fn accepts_str(&self, value: &str) -> bool {
        let len = value.chars().count() as u64;
        self.min_length().is_none_or(|min| len >= min)
            && self.max_length().is_none_or(|max| len <= max)
            && self.pattern_matches(value) != Some(false)
            && (self.enum_values.is_empty() || self.enum_values.iter().any(|e| e == value))
    }
}
