//! Making untrusted strings safe to print.
//!
//! Reasons and principal names come from policy files, ids and labels from AWS. Printed raw, a
//! newline or an ANSI escape could forge lines of a plan on a terminal, a bidi override could
//! reorder what a reviewer reads, and in a PR comment a `|`, `</details>` or a code fence could
//! hide rows from the approver. Each output context gets its own escaper; all of them first make
//! control characters visible, so nothing silently disappears either.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Control characters (C0, DEL, C1) and the Unicode bidi controls, shown as `\u{..}`.
/// Safe for terminals and for the inside of Markdown code blocks.
pub(crate) fn clean(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_unsafe(c) {
            // Writing to a String cannot fail.
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

fn is_unsafe(c: char) -> bool {
    c.is_control() || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Inline Markdown text, also safe inside a GFM table cell: every character that could start
/// markup (emphasis, links, code, HTML, entities, strikethrough) or end a cell is
/// backslash-escaped, which CommonMark defines for all ASCII punctuation.
pub(crate) fn markdown(s: &str) -> String {
    let cleaned = clean(s);
    let mut out = String::with_capacity(cleaned.len() + 8);
    for c in cleaned.chars() {
        if matches!(c, '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '&' | '!' | '#') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Text inside a raw HTML element such as `<summary>`, where Markdown is not parsed and only
/// entities work.
pub(crate) fn html(s: &str) -> String {
    let cleaned = clean(s);
    let mut out = String::with_capacity(cleaned.len() + 8);
    for c in cleaned.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A Markdown code span that shows `s` verbatim whatever backticks it holds: the delimiter is
/// one backtick longer than the longest run inside (CommonMark's rule), padded with spaces when
/// the content starts or ends with a backtick. Not for table cells (a `|` would still split it).
pub(crate) fn code_span(s: &str) -> String {
    let cleaned = clean(s);
    let ticks = "`".repeat(longest_backtick_run(&cleaned) + 1);
    let pad = if cleaned.starts_with('`') || cleaned.ends_with('`') { " " } else { "" };
    format!("{ticks}{pad}{cleaned}{pad}{ticks}")
}

/// The fence for a fenced code block around `body`: at least three backticks and longer than
/// any run inside, so no line of the body can close the block early.
pub(crate) fn code_fence(body: &str) -> String {
    "`".repeat((longest_backtick_run(body) + 1).max(3))
}

fn longest_backtick_run(s: &str) -> usize {
    let (mut longest, mut run) = (0, 0);
    for c in s.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    longest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_makes_controls_and_bidi_visible() {
        assert_eq!(clean("a\nb\x1b[31mc\u{202e}d"), "a\\u{a}b\\u{1b}[31mc\\u{202e}d");
        assert!(matches!(clean("plain — text"), Cow::Borrowed("plain — text")));
    }

    #[test]
    fn markdown_escapes_cell_breakers_and_markup() {
        assert_eq!(markdown("a|b"), "a\\|b");
        assert_eq!(markdown("<!-- x -->"), "\\<\\!-- x --\\>");
        assert_eq!(markdown("[l](http://x)"), "\\[l\\](http://x)");
        assert_eq!(markdown("line\nbreak"), "line\\\\u{a}break");
    }

    #[test]
    fn html_escapes_tags_and_entities() {
        assert_eq!(html("</summary><b>&amp;"), "&lt;/summary&gt;&lt;b&gt;&amp;amp;");
    }

    #[test]
    fn code_span_and_fence_outlast_backticks_inside() {
        assert_eq!(code_span("sha256:ab"), "`sha256:ab`");
        assert_eq!(code_span("a``b"), "```a``b```");
        assert_eq!(code_span("`x"), "`` `x ``");
        assert_eq!(code_fence("no ticks"), "```");
        assert_eq!(code_fence("x\n`````\n"), "``````");
    }
}
