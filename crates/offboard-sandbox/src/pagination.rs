//! Pagination with `MaxResults` / `NextToken`, the way AWS list operations page.
//!
//! Tokens are opaque (hex), bound to the operation and to the request's other members, and
//! tamper-evident: a token from another operation or query, or an edited one, is a
//! `ValidationException`. A token names the last item returned rather than an offset, so items
//! removed between pages (offboard deletes while it reads) never make a page skip a survivor.
//!
//! Page sizes: the request's `MaxResults` when given (validated against the model's range first),
//! else the operation's default. Defaults chosen here (AWS does not document them):
//! the model's maximum for operations that have a `MaxResults`; 25 for AppStream
//! `DescribeUserStackAssociations` (its output list holds at most 25 items, so larger `MaxResults`
//! are capped at 25) and for `DescribeStacks`; 10 for Kendra `ListExperienceEntities` (no
//! `MaxResults`).

use serde_json::{Map, Value};

use crate::api_error::ApiError;
use crate::ids;

/// One page request: how many items, after which key.
#[derive(Debug)]
pub(crate) struct Pager {
    operation: String,
    fingerprint: String,
    limit: usize,
    after: Option<String>,
}

impl Pager {
    /// Reads `NextToken` and `MaxResults` from `input`. `max` caps the page size even when the
    /// request asks for more; `MaxResults` of 0 (allowed by some models) means the default.
    pub fn new(operation: &str, input: &Value, default: usize, max: usize) -> Result<Pager, ApiError> {
        let mut scope = input.clone();
        if let Some(obj) = scope.as_object_mut() {
            obj.remove("NextToken");
            obj.remove("MaxResults");
        }
        let fingerprint = ids::hex(&ids::digest(&[operation, &scope.to_string()])[..8]);
        let limit = match input.get("MaxResults").and_then(Value::as_u64) {
            Some(0) | None => default,
            Some(n) => usize::try_from(n).unwrap_or(max),
        }
        .clamp(1, max);
        let after = match input.get("NextToken").and_then(Value::as_str) {
            None => None,
            Some(token) => Some(decode_token(token, operation, &fingerprint)?),
        };
        Ok(Pager { operation: operation.to_owned(), fingerprint, limit, after })
    }

    /// The key of the last item of the previous page, if this is not the first page: callers
    /// with an ordered index start reading right after it instead of at the beginning.
    pub fn after(&self) -> Option<&str> {
        self.after.as_deref()
    }

    /// Takes one page from `items` (any order; sorted here by key). Returns the page and the
    /// token of the next one, if more items follow.
    pub fn page<T>(&self, mut items: Vec<(String, T)>) -> (Vec<T>, Option<String>) {
        items.sort_by(|a, b| a.0.cmp(&b.0));
        self.page_sorted(items.into_iter())
    }

    /// Like [`Pager::page`] for items already in ascending key order, read lazily: only as far
    /// as one page and one more item, so a page of a large list costs the page, not the list
    /// (start the iterator at [`Pager::after`] to skip the earlier pages cheaply too).
    pub fn page_sorted<T>(&self, items: impl Iterator<Item = (String, T)>) -> (Vec<T>, Option<String>) {
        let mut rest = items.skip_while(|(key, _)| self.after.as_ref().is_some_and(|after| key <= after)).peekable();
        let mut page = Vec::new();
        let mut last_key = None;
        while page.len() < self.limit {
            match rest.next() {
                Some((key, item)) => {
                    last_key = Some(key);
                    page.push(item);
                }
                None => break,
            }
        }
        let next = match (rest.peek(), last_key) {
            (Some(_), Some(key)) => Some(encode_token(&self.operation, &self.fingerprint, &key)),
            _ => None,
        };
        (page, next)
    }

    /// The answer of a list operation: one page of `items` (as [`Pager::page`] takes them) under
    /// `member`, and `NextToken` when more items follow.
    pub fn list_output(&self, member: &str, items: Vec<(String, Value)>) -> Value {
        let (page, next) = self.page(items);
        Pager::output(member, page, next)
    }

    /// A list operation's answer from one page and the token of the next.
    pub fn output(member: &str, page: Vec<Value>, next: Option<String>) -> Value {
        let mut out = Map::new();
        out.insert(member.to_owned(), Value::Array(page));
        if let Some(token) = next {
            out.insert("NextToken".to_owned(), Value::String(token));
        }
        Value::Object(out)
    }
}

fn mac(operation: &str, fingerprint: &str, key: &str) -> String {
    ids::hex(&ids::digest(&["offboard-sandbox-token", operation, fingerprint, key])[..8])
}

fn encode_token(operation: &str, fingerprint: &str, key: &str) -> String {
    let payload = format!("{}\n{key}", mac(operation, fingerprint, key));
    ids::hex(payload.as_bytes())
}

fn decode_token(token: &str, operation: &str, fingerprint: &str) -> Result<String, ApiError> {
    let invalid = || {
        ApiError::validation(format!(
            "The NextToken '{token}' is invalid: pass the NextToken of the previous page of the same request unchanged"
        ))
    };
    let bytes = ids::unhex(token).ok_or_else(invalid)?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    let (tag, key) = text.split_once('\n').ok_or_else(invalid)?;
    if tag == mac(operation, fingerprint, key) { Ok(key.to_owned()) } else { Err(invalid()) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn items(n: usize) -> Vec<(String, usize)> {
        (0..n).map(|i| (format!("{i:03}"), i)).collect()
    }

    #[test]
    fn pages_cover_everything_once() {
        let input = json!({"IndexId": "x", "MaxResults": 3});
        let mut seen = Vec::new();
        let mut pager = Pager::new("Op", &input, 10, 100).unwrap();
        loop {
            let (page, next) = pager.page(items(8));
            seen.extend(page);
            let Some(token) = next else { break };
            let mut again = input.clone();
            again["NextToken"] = json!(token);
            pager = Pager::new("Op", &again, 10, 100).unwrap();
        }
        assert_eq!(seen, (0..8).collect::<Vec<_>>());
    }

    #[test]
    fn deletions_between_pages_skip_nothing() {
        let input = json!({"MaxResults": 2});
        let (first, token) = Pager::new("Op", &input, 10, 100).unwrap().page(items(5));
        assert_eq!(first, vec![0, 1]);
        let mut remaining = items(5);
        remaining.retain(|(_, i)| *i != 0 && *i != 1);
        let second = json!({"MaxResults": 2, "NextToken": token.unwrap()});
        let (page, _) = Pager::new("Op", &second, 10, 100).unwrap().page(remaining);
        assert_eq!(page, vec![2, 3]);
    }

    #[test]
    fn foreign_or_edited_tokens_are_rejected() {
        let (_, token) = Pager::new("Op", &json!({"MaxResults": 1}), 10, 100).unwrap().page(items(3));
        let token = token.unwrap();
        let other_op = Pager::new("Other", &json!({"NextToken": token}), 10, 100).unwrap_err();
        assert_eq!(other_op.code, "ValidationException");
        let other_query = Pager::new("Op", &json!({"NextToken": token, "IndexId": "y"}), 10, 100);
        assert!(other_query.is_err());
        assert!(Pager::new("Op", &json!({"NextToken": "zz"}), 10, 100).is_err());
        let mut edited = token.clone();
        edited.replace_range(0..2, "00");
        assert!(Pager::new("Op", &json!({"NextToken": edited}), 10, 100).is_err());
        assert!(Pager::new("Op", &json!({"NextToken": token}), 10, 100).is_ok());
    }

    #[test]
    fn sorted_pages_read_only_what_they_return() {
        let read = std::cell::Cell::new(0);
        let counted = || items(1000).into_iter().inspect(|_| read.set(read.get() + 1));
        let input = json!({"MaxResults": 10});
        let (first, token) = Pager::new("Op", &input, 10, 100).unwrap().page_sorted(counted());
        assert_eq!(first, (0..10).collect::<Vec<_>>());
        assert_eq!(read.get(), 11, "one page and a look at the next item");
        let again = json!({"MaxResults": 10, "NextToken": token.unwrap()});
        let (second, _) = Pager::new("Op", &again, 10, 100).unwrap().page_sorted(counted());
        assert_eq!(second, (10..20).collect::<Vec<_>>());
    }

    #[test]
    fn limits_default_and_cap() {
        let (page, _) = Pager::new("Op", &json!({}), 4, 100).unwrap().page(items(10));
        assert_eq!(page.len(), 4);
        let (page, _) = Pager::new("Op", &json!({"MaxResults": 0}), 4, 100).unwrap().page(items(10));
        assert_eq!(page.len(), 4);
        let (page, next) = Pager::new("Op", &json!({"MaxResults": 500}), 25, 5).unwrap().page(items(10));
        assert_eq!(page.len(), 5);
        assert!(next.is_some());
        let (page, next) = Pager::new("Op", &json!({}), 25, 25).unwrap().page(items(3));
        assert_eq!(page.len(), 3);
        assert!(next.is_none());
    }
}
