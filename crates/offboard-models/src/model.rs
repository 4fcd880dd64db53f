//! A parsed botocore `service-2.json`: metadata, operations and shapes.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde_json::{Map, Value};

use crate::shape::{Member, Shape, ShapeType};

/// Why a `service-2.json` text could not be read as a model.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("the model is not valid JSON ({0}); expected a botocore service-2.json document")]
    Json(#[from] serde_json::Error),
    #[error("the model has no `{0}` object; expected botocore's top-level `{0}`")]
    MissingSection(&'static str),
    #[error("shape `{shape}`: {problem}")]
    Shape { shape: String, problem: String },
    #[error("operation `{operation}`: {problem}")]
    Operation { operation: String, problem: String },
}

/// One operation: its input, output and modeled error shapes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Operation {
    pub name: String,
    /// `None` when the operation takes no input (none of the four models has such an operation).
    pub input: Option<String>,
    /// `None` when the operation returns nothing (e.g. Kendra `DeletePrincipalMapping`).
    pub output: Option<String>,
    pub errors: Vec<String>,
}

/// An AWS service model. Obtain the embedded ones with [`crate::Service::model`].
#[derive(Debug)]
pub struct Model {
    target_prefix: String,
    api_version: String,
    protocols: Vec<String>,
    operations: BTreeMap<String, Operation>,
    shapes: BTreeMap<String, Shape>,
}

impl Model {
    /// Parses a botocore `service-2.json` text.
    pub fn from_json(text: &str) -> Result<Model, ModelError> {
        let root: Value = serde_json::from_str(text)?;
        let metadata = root.get("metadata").and_then(Value::as_object).ok_or(ModelError::MissingSection("metadata"))?;
        let str_field = |key: &str| metadata.get(key).and_then(Value::as_str).unwrap_or_default().to_owned();
        let protocols = match metadata.get("protocols").and_then(Value::as_array) {
            Some(list) => list.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
            None => vec![str_field("protocol")],
        };

        let shapes_json = root.get("shapes").and_then(Value::as_object).ok_or(ModelError::MissingSection("shapes"))?;
        let mut shapes = BTreeMap::new();
        for (name, json) in shapes_json {
            shapes.insert(name.clone(), parse_shape(name, json)?);
        }

        let operations_json =
            root.get("operations").and_then(Value::as_object).ok_or(ModelError::MissingSection("operations"))?;
        let mut operations = BTreeMap::new();
        for (name, json) in operations_json {
            let operation = parse_operation(name, json)?;
            for referenced in operation.input.iter().chain(operation.output.iter()).chain(operation.errors.iter()) {
                if !shapes.contains_key(referenced) {
                    return Err(ModelError::Operation {
                        operation: name.clone(),
                        problem: format!("refers to shape `{referenced}`, which the model lacks"),
                    });
                }
            }
            operations.insert(name.clone(), operation);
        }

        let model = Model {
            target_prefix: str_field("targetPrefix"),
            api_version: str_field("apiVersion"),
            protocols,
            operations,
            shapes,
        };
        model.check_references()?;
        Ok(model)
    }

    /// Every shape a shape refers to must exist, so the validator never meets a dangling name.
    fn check_references(&self) -> Result<(), ModelError> {
        for shape in self.shapes.values() {
            let targets = shape
                .members
                .iter()
                .map(|m| &m.target)
                .chain(shape.list_member.iter())
                .chain(shape.map_key.iter())
                .chain(shape.map_value.iter());
            for target in targets {
                if !self.shapes.contains_key(target) {
                    return Err(ModelError::Shape {
                        shape: shape.name.clone(),
                        problem: format!("refers to shape `{target}`, which the model lacks"),
                    });
                }
            }
        }
        Ok(())
    }

    /// The `X-Amz-Target` prefix (the Smithy service shape name).
    pub fn target_prefix(&self) -> &str {
        &self.target_prefix
    }

    pub fn api_version(&self) -> &str {
        &self.api_version
    }

    /// botocore's protocol names, preferred first (e.g. `["smithy-rpc-v2-cbor", "json"]`).
    pub fn protocols(&self) -> &[String] {
        &self.protocols
    }

    /// Operation names in alphabetical order.
    pub fn operation_names(&self) -> impl Iterator<Item = &str> {
        self.operations.keys().map(String::as_str)
    }

    pub fn has_operation(&self, op: &str) -> bool {
        self.operations.contains_key(op)
    }

    pub fn operation(&self, op: &str) -> Option<&Operation> {
        self.operations.get(op)
    }

    pub fn shape(&self, name: &str) -> Option<&Shape> {
        self.shapes.get(name)
    }

    /// All shapes, in alphabetical order of name.
    pub fn shapes(&self) -> impl Iterator<Item = &Shape> {
        self.shapes.values()
    }

    pub fn input_shape(&self, op: &str) -> Option<&str> {
        self.operations.get(op)?.input.as_deref()
    }

    pub fn output_shape(&self, op: &str) -> Option<&str> {
        self.operations.get(op)?.output.as_deref()
    }

    /// The modeled errors of `op` (empty for an unknown operation).
    pub fn error_shapes(&self, op: &str) -> Vec<&str> {
        self.operations.get(op).map(|o| o.errors.iter().map(String::as_str).collect()).unwrap_or_default()
    }

    /// Shapes whose pattern the `regex` crate cannot compile, with the pattern and the reason.
    /// The validator does not check these patterns.
    pub fn uncompilable_patterns(&self) -> Vec<(&str, &str, String)> {
        self.shapes
            .values()
            .filter_map(|shape| {
                let raw = shape.pattern.as_deref()?;
                crate::pattern::compile_whole_value(raw).err().map(|e| (shape.name.as_str(), raw, e.to_string()))
            })
            .collect()
    }
}

fn parse_operation(name: &str, json: &Value) -> Result<Operation, ModelError> {
    let shape_ref = |key: &str| json.get(key).and_then(|r| r.get("shape")).and_then(Value::as_str).map(str::to_owned);
    let errors = match json.get("errors") {
        None => Vec::new(),
        Some(Value::Array(list)) => list
            .iter()
            .map(|e| {
                e.get("shape").and_then(Value::as_str).map(str::to_owned).ok_or_else(|| ModelError::Operation {
                    operation: name.to_owned(),
                    problem: "an `errors` entry has no `shape` name".to_owned(),
                })
            })
            .collect::<Result<_, _>>()?,
        Some(_) => {
            return Err(ModelError::Operation {
                operation: name.to_owned(),
                problem: "`errors` is not an array; expected a list of {\"shape\": …}".to_owned(),
            });
        }
    };
    Ok(Operation { name: name.to_owned(), input: shape_ref("input"), output: shape_ref("output"), errors })
}

fn parse_shape(name: &str, json: &Value) -> Result<Shape, ModelError> {
    let problem = |problem: String| ModelError::Shape { shape: name.to_owned(), problem };
    let obj = json.as_object().ok_or_else(|| problem("is not a JSON object".to_owned()))?;
    let flag = |key: &str| obj.get(key).and_then(Value::as_bool).unwrap_or(false);
    let type_name = obj.get("type").and_then(Value::as_str).ok_or_else(|| problem("has no `type`".to_owned()))?;
    let shape_type = match type_name {
        "structure" if flag("union") => ShapeType::Union,
        "structure" if flag("document") => ShapeType::Document,
        "structure" => ShapeType::Structure,
        "list" => ShapeType::List,
        "map" => ShapeType::Map,
        "string" => ShapeType::String,
        "integer" => ShapeType::Integer,
        "long" => ShapeType::Long,
        "boolean" => ShapeType::Boolean,
        "timestamp" => ShapeType::Timestamp,
        "blob" => ShapeType::Blob,
        "double" => ShapeType::Double,
        "float" => ShapeType::Float,
        other => {
            return Err(problem(format!(
                "has type `{other}`; expected one of structure, list, map, string, integer, \
                 long, boolean, timestamp, blob, double, float"
            )));
        }
    };
    let target_of = |key: &str| -> Result<Option<String>, ModelError> {
        match obj.get(key) {
            None => Ok(None),
            Some(r) => r
                .get("shape")
                .and_then(Value::as_str)
                .map(|s| Some(s.to_owned()))
                .ok_or_else(|| problem(format!("`{key}` has no `shape` name"))),
        }
    };
    let required: Vec<&str> = obj
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let members = match obj.get("members") {
        None => Vec::new(),
        Some(Value::Object(members)) => parse_members(name, members, &required)?,
        Some(_) => return Err(problem("`members` is not an object".to_owned())),
    };
    if let Some(missing) = required.iter().find(|r| !members.iter().any(|m| m.name == **r)) {
        return Err(problem(format!("requires member `{missing}`, which it does not have")));
    }
    Ok(Shape {
        name: name.to_owned(),
        shape_type,
        min: obj.get("min").and_then(Value::as_f64),
        max: obj.get("max").and_then(Value::as_f64),
        pattern: obj.get("pattern").and_then(Value::as_str).map(str::to_owned),
        enum_values: obj
            .get("enum")
            .and_then(Value::as_array)
            .map(|e| e.iter().filter_map(Value::as_str).map(str::to_owned).collect())
            .unwrap_or_default(),
        members,
        list_member: target_of("member")?,
        map_key: target_of("key")?,
        map_value: target_of("value")?,
        exception: flag("exception"),
        sensitive: flag("sensitive"),
        http_status: obj
            .get("error")
            .and_then(|e| e.get("httpStatusCode"))
            .and_then(Value::as_u64)
            .and_then(|s| u16::try_from(s).ok()),
        compiled_pattern: OnceLock::new(),
    })
}

fn parse_members(shape: &str, members: &Map<String, Value>, required: &[&str]) -> Result<Vec<Member>, ModelError> {
    let mut parsed: Vec<Member> = members
        .iter()
        .map(|(name, json)| {
            let target = json.get("shape").and_then(Value::as_str).ok_or_else(|| ModelError::Shape {
                shape: shape.to_owned(),
                problem: format!("member `{name}` has no `shape`"),
            })?;
            Ok(Member {
                name: name.clone(),
                target: target.to_owned(),
                required: required.contains(&name.as_str()),
                idempotency_token: json.get("idempotencyToken").and_then(Value::as_bool).unwrap_or(false),
            })
        })
        .collect::<Result<_, ModelError>>()?;
    parsed.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(parsed)
}
