//! CBOR ⇄ JSON for the rpcv2Cbor protocol.
//!
//! Handlers and the validator work on a `serde_json::Value` view of every request, so CBOR bodies
//! are converted to JSON on the way in. On the way out the JSON answer is converted back, guided by
//! the model's output shape: the smithy rpcv2Cbor spec encodes timestamps as tag 1 (epoch seconds)
//! and blobs as byte strings, which a JSON number or string cannot say on its own.

use ciborium::value::{Integer, Value as Cbor};
use offboard_models::{Model, ShapeType};
use serde_json::{Map, Number, Value};

/// Decodes a CBOR request body into its JSON view. An empty body is an empty structure.
pub(crate) fn decode(body: &[u8]) -> Result<Value, String> {
    if body.is_empty() {
        return Ok(Value::Object(Map::new()));
    }
    let cbor: Cbor = ciborium::from_reader(body).map_err(|e| format!("malformed CBOR: {e}"))?;
    let json = to_json(cbor)?;
    if json.is_object() {
        Ok(json)
    } else {
        Err("the CBOR body is not a map; expected a map of the input structure".to_owned())
    }
}

fn to_json(cbor: Cbor) -> Result<Value, String> {
    Ok(match cbor {
        Cbor::Null => Value::Null,
        Cbor::Bool(b) => Value::Bool(b),
        Cbor::Text(s) => Value::String(s),
        Cbor::Integer(i) => integer_to_json(i)?,
        Cbor::Float(f) => {
            Number::from_f64(f).map(Value::Number).ok_or_else(|| format!("the float {f} has no JSON form"))?
        }
        Cbor::Bytes(bytes) => Value::String(base64(&bytes)),
        // Tag 1 (epoch-seconds timestamp) and any other tag: the tagged content is the value.
        Cbor::Tag(_, inner) => to_json(*inner)?,
        Cbor::Array(items) => Value::Array(items.into_iter().map(to_json).collect::<Result<_, _>>()?),
        Cbor::Map(entries) => {
            let mut map = Map::new();
            for (k, v) in entries {
                let Cbor::Text(key) = k else {
                    return Err("a CBOR map key is not a text string; structure member names are text".to_owned());
                };
                map.insert(key, to_json(v)?);
            }
            Value::Object(map)
        }
        other => return Err(format!("unsupported CBOR value {other:?}")),
    })
}

fn integer_to_json(i: Integer) -> Result<Value, String> {
    let wide = i128::from(i);
    if let Ok(v) = i64::try_from(wide) {
        Ok(Value::Number(v.into()))
    } else if let Ok(v) = u64::try_from(wide) {
        Ok(Value::Number(v.into()))
    } else {
        Err(format!("the integer {wide} is out of range"))
    }
}

/// Encodes a JSON answer as CBOR, typed by `shape` of `model` (timestamps become tag 1).
pub(crate) fn encode(value: &Value, model: &Model, shape: Option<&str>) -> Vec<u8> {
    let cbor = to_cbor(value, model, shape);
    let mut out = Vec::new();
    // Writing into a Vec cannot fail, and every ciborium Value serialises.
    if ciborium::into_writer(&cbor, &mut out).is_err() {
        out.clear();
    }
    out
}

fn to_cbor(value: &Value, model: &Model, shape_name: Option<&str>) -> Cbor {
    let shape = shape_name.and_then(|n| model.shape(n));
    match (value, shape) {
        (Value::Object(map), Some(s)) if s.has_members() => Cbor::Map(
            map.iter()
                .map(|(k, v)| {
                    let target = s.member(k).map(|m| m.target.as_str());
                    (Cbor::Text(k.clone()), to_cbor(v, model, target))
                })
                .collect(),
        ),
        (Value::Object(map), Some(s)) if s.shape_type == ShapeType::Map => Cbor::Map(
            map.iter().map(|(k, v)| (Cbor::Text(k.clone()), to_cbor(v, model, s.map_value.as_deref()))).collect(),
        ),
        (Value::Array(items), Some(s)) if s.shape_type == ShapeType::List => {
            Cbor::Array(items.iter().map(|v| to_cbor(v, model, s.list_member.as_deref())).collect())
        }
        (Value::Number(n), Some(s)) if s.shape_type == ShapeType::Timestamp => Cbor::Tag(1, Box::new(number(n))),
        (Value::Number(n), Some(s)) if matches!(s.shape_type, ShapeType::Double | ShapeType::Float) => {
            Cbor::Float(n.as_f64().unwrap_or_default())
        }
        (value, Some(s)) if s.shape_type == ShapeType::Document => untyped(value),
        (value, _) => untyped(value),
    }
}

fn number(n: &Number) -> Cbor {
    if let Some(i) = n.as_i64() {
        Cbor::Integer(i.into())
    } else if let Some(u) = n.as_u64() {
        Cbor::Integer(u.into())
    } else {
        Cbor::Float(n.as_f64().unwrap_or_default())
    }
}

fn untyped(value: &Value) -> Cbor {
    match value {
        Value::Null => Cbor::Null,
        Value::Bool(b) => Cbor::Bool(*b),
        Value::Number(n) => number(n),
        Value::String(s) => Cbor::Text(s.clone()),
        Value::Array(items) => Cbor::Array(items.iter().map(untyped).collect()),
        Value::Object(map) => Cbor::Map(map.iter().map(|(k, v)| (Cbor::Text(k.clone()), untyped(v))).collect()),
    }
}

/// Standard base64 with padding (the JSON form of a blob).
fn base64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn timestamps_are_tagged_and_round_trip() {
        let model = offboard_models::Service::AppStream.model();
        let answer = json!({"Stacks": [{"Name": "s", "CreatedTime": 1735689600}], "NextToken": "t"});
        let bytes = encode(&answer, model, Some("DescribeStacksResult"));
        let cbor: Cbor = ciborium::from_reader(bytes.as_slice()).unwrap();
        let Cbor::Map(top) = &cbor else { panic!("{cbor:?}") };
        let stacks = &top.iter().find(|(k, _)| k == &Cbor::Text("Stacks".into())).unwrap().1;
        let Cbor::Array(items) = stacks else { panic!() };
        let Cbor::Map(stack) = &items[0] else { panic!() };
        let created = &stack.iter().find(|(k, _)| k == &Cbor::Text("CreatedTime".into())).unwrap().1;
        assert_eq!(created, &Cbor::Tag(1, Box::new(Cbor::Integer(1_735_689_600.into()))));
        assert_eq!(decode(&bytes).unwrap(), answer);
    }

    #[test]
    fn malformed_bodies_are_reported() {
        assert!(decode(&[0xff, 0x00]).is_err());
        let mut list = Vec::new();
        ciborium::into_writer(&Cbor::Array(vec![]), &mut list).unwrap();
        assert!(decode(&list).unwrap_err().contains("not a map"));
        assert_eq!(decode(&[]).unwrap(), json!({}));
    }

    /// `decode` and `to_json` recurse once per level; ciborium's recursion limit (256 levels of
    /// arrays, maps and tags) bounds both. Checked on a 2 MiB stack, what a tokio worker has.
    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let nested = |level: &[u8], depth: usize| {
            let mut body = vec![0xa1, 0x65];
            body.extend_from_slice(b"Names");
            for _ in 0..depth {
                body.extend_from_slice(level);
            }
            body.push(0xf6);
            body
        };
        let check = move || {
            // an array of one item, a map of one entry with key "a", a tag-1 timestamp
            for level in [&[0x81][..], &[0xa1, 0x61, b'a'][..], &[0xc1][..]] {
                assert!(decode(&nested(level, 200)).is_ok(), "{level:x?}");
                let err = decode(&nested(level, 100_000)).unwrap_err();
                assert!(err.starts_with("malformed CBOR: RecursionLimitExceeded"), "{level:x?}: {err}");
            }
        };
        std::thread::Builder::new().stack_size(2 << 20).spawn(check).unwrap().join().unwrap();
    }
}
