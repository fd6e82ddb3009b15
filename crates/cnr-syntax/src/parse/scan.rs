//! The one reading of where comments and quoted file names are, shared by every scan of the raw
//! text (the guards before parsing, the spans and comments of the tree, the hints of an error), so
//! that none of them skips a `#` or a `"` differently from the others.

use std::str::CharIndices;

/// Where a character of the text stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Part {
    /// Outside comments and quoted strings; a line break ends a comment and is code itself.
    Code,
    /// A comment, from its `#` to the end of its line.
    Comment,
    /// The `"` that opens a quoted string.
    OpenQuote,
    /// A character between the quotes.
    Quoted,
    /// The `"` that closes a quoted string.
    CloseQuote,
}

/// The characters of a text with their byte offsets and their [`Part`]s. A quoted string ends at
/// its closing `"` or, as the grammar's strings do, at the end of its line.
#[derive(Clone, Debug)]
pub(super) struct Scan<'a> {
    chars: CharIndices<'a>,
    in_comment: bool,
    in_string: bool,
    strings_span_lines: bool,
}

/// Scans `text` from its start, which is taken to be outside any comment or string.
pub(super) fn scan(text: &str) -> Scan<'_> {
    Scan { chars: text.char_indices(), in_comment: false, in_string: false, strings_span_lines: false }
}

impl Scan<'_> {
    /// Lets a quoted string run on over line breaks to the next `"`. The nesting guard has always
    /// read strings so, and an unclosed string is a syntax error however the guard reads on; the
    /// guard keeps its reading so that such a file gets the same first diagnostic as before.
    pub(super) fn strings_span_lines(self) -> Self {
        Scan { strings_span_lines: true, ..self }
    }
}

impl Iterator for Scan<'_> {
    type Item = (usize, char, Part);

    fn next(&mut self) -> Option<Self::Item> {
        let (at, c) = self.chars.next()?;
        let part = if c == '\n' && !(self.in_string && self.strings_span_lines) {
            self.in_comment = false;
            self.in_string = false;
            Part::Code
        } else if self.in_comment {
            Part::Comment
        } else if c == '"' {
            self.in_string = !self.in_string;
            if self.in_string {
                Part::OpenQuote
            } else {
                Part::CloseQuote
            }
        } else if self.in_string {
            Part::Quoted
        } else if c == '#' {
            self.in_comment = true;
            Part::Comment
        } else {
            Part::Code
        };
        Some((at, c, part))
    }
}

/// `text` without its comments (a `#` inside a quoted string is no comment).
pub fn without_comments(text: &str) -> String {
    scan(text).filter(|&(_, _, part)| part != Part::Comment).map(|(_, c, _)| c).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(text: &str, scan: Scan) -> String {
        let letter = |part| match part {
            Part::Code => 'c',
            Part::Comment => '#',
            Part::OpenQuote => '<',
            Part::Quoted => 'q',
            Part::CloseQuote => '>',
        };
        let out: String = scan.map(|(_, _, part)| letter(part)).collect();
        assert_eq!(out.chars().count(), text.chars().count());
        out
    }

    #[test]
    fn comments_are_dropped_and_a_quoted_hash_kept() {
        assert_eq!(without_comments("a \"#b\" # c\nd # e"), "a \"#b\" \nd ");
    }

    #[test]
    fn comments_and_strings_end_where_the_grammar_ends_them() {
        let text = "a \"#b\" # \"c\n\"d\ne";
        assert_eq!(parts(text, scan(text)), "cc<qq>c####c<qcc");
        assert_eq!(parts(text, scan(text).strings_span_lines()), "cc<qq>c####c<qqq");
    }
}
