//! Turning a model's pattern into a `regex::Regex` that matches the way AWS does.
//!
//! botocore copies Smithy's `@pattern` strings, which AWS evaluates with Java's regex engine and
//! applies to the whole value (Smithy anchors them; botocore dropped the anchors on newer ones).
//! Wrapping every pattern as `^(?:…)$` gives whole-value semantics whether or not the model
//! already anchors it. Java syntax the `regex` crate lacks (look-around, back-references) does not
//! compile; such patterns are then not checked, and a unit test pins the exact list.

use regex::Regex;

/// Compiles `pattern` so that it must match the entire value.
pub fn compile_whole_value(pattern: &str) -> Result<Regex, regex::Error> {
    Regex::new(&format!("^(?:{pattern})$"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchoring_rejects_partial_matches() {
        let re = compile_whole_value(r"\d{12}").unwrap();
        assert!(re.is_match("123456789012"));
        assert!(!re.is_match("x123456789012"));
        assert!(!re.is_match("1234567890123"));
    }

    #[test]
    fn already_anchored_patterns_and_alternations_stay_whole_value() {
        // Without the group, `^a|b$` would accept "ax" (the `^a` branch).
        let re = compile_whole_value("^a$|^b$").unwrap();
        assert!(re.is_match("a"));
        assert!(!re.is_match("ax"));
        let re = compile_whole_value("a|b").unwrap();
        assert!(!re.is_match("ab"));
    }

    #[test]
    fn lookahead_does_not_compile() {
        assert!(compile_whole_value("(?!x)y").is_err());
    }
}
