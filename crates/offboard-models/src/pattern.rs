//! Turning a model's pattern into a `regex::Regex` that matches the way AWS does.
//!
//! botocore copies Smithy's `@pattern` strings, which AWS evaluates with Java's regex engine and
//! applies to the whole value (Smithy anchors them; botocore dropped the anchors on newer ones).
//! Wrapping every pattern as `^(?:…)$` gives whole-value semantics whether or not the model
//! already anchors it. Java syntax the `regex` crate lacks (look-around, back-references) does not
//! compile; such patterns are then not checked, and a unit test pins the exact list.
//!
//! Java's `\d`, `\w` and `\s` are ASCII-only, while the `regex` crate's are Unicode-aware (its
//! `\d` accepts e.g. Arabic-Indic digits, which AWS rejects in a 12-digit account id), so those
//! escapes are rewritten to explicit ASCII classes first. A class nested inside a class is a
//! union in the `regex` crate, so the rewrite is valid inside `[...]` too. Remaining difference,
//! accepted: Java's `.` also refuses `\r`, U+0085, U+2028 and U+2029.

use regex::Regex;

/// Compiles `pattern` so that it must match the entire value.
pub fn compile_whole_value(pattern: &str) -> Result<Regex, regex::Error> {
    Regex::new(&format!("^(?:{})$", java_ascii_classes(pattern)))
}

/// Rewrites Java's ASCII-only shorthand classes to explicit classes; other escapes are kept.
fn java_ascii_classes(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('d') => out.push_str("[0-9]"),
            Some('D') => out.push_str("[^0-9]"),
            Some('w') => out.push_str("[0-9A-Za-z_]"),
            Some('W') => out.push_str("[^0-9A-Za-z_]"),
            Some('s') => out.push_str("[ \\t\\n\\x0B\\f\\r]"),
            Some('S') => out.push_str("[^ \\t\\n\\x0B\\f\\r]"),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
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
    fn shorthand_classes_are_ascii_like_java() {
        let digits = compile_whole_value(r"\d{3}").unwrap();
        assert!(digits.is_match("123"));
        assert!(!digits.is_match("\u{661}\u{662}\u{663}"), "Arabic-Indic digits are not \\d in Java");
        let in_class = compile_whole_value(r"[\w.-]+").unwrap();
        assert!(in_class.is_match("a_b.c-1"));
        assert!(!in_class.is_match("é"));
        let space = compile_whole_value(r"[\S\s]*").unwrap();
        assert!(space.is_match("any thing\n"));
        let escaped_backslash = compile_whole_value(r"a\\d").unwrap();
        assert!(escaped_backslash.is_match("a\\d"));
    }

    #[test]
    fn lookahead_does_not_compile() {
        assert!(compile_whole_value("(?!x)y").is_err());
    }
}
