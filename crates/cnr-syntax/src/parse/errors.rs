//! Translating pest's errors into [`Diagnostic`]s: what was expected where the text stopped making
//! sense, in the user's words, with a hint for the common slips (a malformed number, a keyword
//! where a value belongs, a string or bracket left open).

use super::scan::{scan, Part};
use super::Rule;
use crate::{diag, Diagnostic, Span};
use pest::error::{ErrorVariant, InputLocation};

/// What the user would call a grammar rule in an "expected …" list.
fn describe(rule: &Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::EOI => "end of file",
        Rule::model_decl => "`model`",
        Rule::param_decl => "`param`",
        Rule::value => "a number",
        Rule::network => "`network`",
        Rule::data => "`data`",
        Rule::relax => "`relax`",
        Rule::learn => "`learn`",
        Rule::weight_decay => "`weight_decay`",
        Rule::form => "`form`",
        Rule::arrangements => "`arrangements`",
        Rule::arrangements_all => "`all`",
        Rule::generated => "`generated`",
        Rule::with_planted => "`+ planted`",
        Rule::solver => "`solver`",
        Rule::sweep => "`sweep`",
        Rule::sweep_key => "a sweep entry",
        Rule::ident => "a name",
        Rule::number => "a number",
        Rule::string => "a quoted file name",
        Rule::dims => "a size (like `16` or `3 x 3`)",
        Rule::vector => "a list of numbers in brackets",
        Rule::file_ref => "`file \"…\"`",
        Rule::input_stmt => "`input`",
        Rule::channels => "`channels`",
        Rule::conv_stmt => "`conv`",
        Rule::kernel => "`kernel`",
        Rule::stride => "`stride`",
        Rule::padding => "`padding`",
        Rule::filters => "`filters`",
        Rule::bias => "`bias`",
        Rule::activation_stmt => "`activation`",
        Rule::activation_ref | Rule::activation_def => "an activation",
        Rule::piece => "a `(slope, intercept)` pair",
        Rule::output_stmt => "`output`",
        Rule::random => "`random seed S`",
        Rule::offset => "`+ offset`",
        Rule::expr | Rule::term | Rule::unary | Rule::call => "an expression",
        Rule::add_op => "`+` or `-`",
        Rule::mul_op => "`*` or `/`",
        Rule::neg => "`-`",
        Rule::planted_data => "`planted`",
        Rule::file_data => "`files`",
        Rule::samples => "`samples`",
        Rule::seed => "`seed`",
        Rule::noise => "`noise`",
        Rule::planted_filter => "`filter`",
        Rule::inputs => "`inputs`",
        Rule::labels => "`labels`",
        Rule::planted_file => "`planted`",
        Rule::test_inputs => "`test inputs`",
        Rule::test_labels => "`test labels`",
        Rule::anchor => "`anchor`",
        Rule::penalty => "`penalty`",
        Rule::bound => "`bound`",
        Rule::backend => "`backend`",
        Rule::tolerance => "`tolerance`",
        Rule::max_iter => "`max_iter`",
        Rule::time_limit => "`time_limit`",
        _ => return None,
    })
}

pub(super) fn syntax_error(source: &str, e: pest::error::Error<Rule>) -> Diagnostic {
    let pest_pos = match e.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    let positives: Vec<Rule> = match &e.variant {
        ErrorVariant::ParsingError { positives, .. } => positives.clone(),
        ErrorVariant::CustomError { .. } => Vec::new(),
    };
    // The detailed attempts know the farthest position reached and the literal tokens expected
    // there; without them, pest's own position and rules are the fallback.
    let attempts = e.parse_attempts().filter(|a| !a.expected_tokens().is_empty());
    let pos = attempts.as_ref().map_or(pest_pos, |a| a.max_position).min(source.len());
    let pos = (0..=pos).rev().find(|&p| source.is_char_boundary(p)).unwrap_or(0);

    // Point at the whole word (or character) where parsing stopped, not just one byte.
    let rest = &source[pos..];
    let word_len = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(rest.len());
    let len = if word_len > 0 { word_len } else { rest.chars().next().map_or(0, char::len_utf8) };
    let found = &rest[..len];
    let found_text = if found.is_empty() { "the end of the file".to_string() } else { format!("`{found}`") };

    if let Some(d) = malformed_number(source, pos) {
        return d;
    }
    if let Some(d) = keyword_for_value(source, pos) {
        return d;
    }
    if let Some(d) = unterminated_string(source, pest_pos) {
        return d;
    }

    let mid_token = source[..pos].chars().next_back().is_some_and(|c| !c.is_whitespace());
    let mut expected: Vec<String> = Vec::new();
    let mut keywords: Vec<String> = Vec::new();
    match &attempts {
        Some(a) => {
            let tokens: Vec<String> = a.expected_tokens().iter().map(ToString::to_string).collect();
            let has = |t: &str| tokens.iter().any(|x| x == t);
            for t in &tokens {
                if t.len() > 1 && t.chars().all(|c| c.is_ascii_alphabetic() || c == '_') {
                    keywords.push(t.clone());
                }
            }
            expected.extend(keywords.iter().map(|k| format!("`{k}`")));
            // Character classes and single letters only continue the token before the error when
            // it touches it (`8` could go on as `8.5` or `8e3`); at the start of a token they mean
            // a number or a name.
            if !mid_token {
                if has("0..9") {
                    expected.push("a number".into());
                }
                if has("a..z") || has("A..Z") {
                    expected.push("a name".into());
                }
                if has("\"") {
                    expected.push("a quoted file name".into());
                }
            }
            for p in ["{", "}", "(", ")", "[", "]", ",", "=", "+", "-", "*", "/"] {
                // A `-` is an operator where `+` is one too, otherwise the sign of a number.
                // Where a statement could end, arithmetic that could go on is rarely the fix.
                let arithmetic = matches!(p, "+" | "-" | "*" | "/" | "(");
                if has(p) && (p != "-" || has("+")) && (!arithmetic || keywords.is_empty()) {
                    expected.push(format!("`{p}`"));
                }
            }
        }
        None => {
            for r in positives.iter().filter(|&&r| r != Rule::EOI) {
                if let Some(d) = describe(r) {
                    if !expected.iter().any(|x| x == d) {
                        expected.push(d.to_string());
                    }
                    if let Some(k) = d.strip_prefix('`').and_then(|k| k.strip_suffix('`')) {
                        keywords.push(k.to_string());
                    }
                }
            }
        }
    }
    // Pest's own rules describe its own position, which the detailed attempts may have passed.
    if positives.contains(&Rule::EOI) && pos == pest_pos {
        expected.push("the end of the file".into());
    }

    let message = if expected.is_empty() {
        format!("unexpected {found_text}")
    } else {
        let refs: Vec<&str> = expected.iter().map(String::as_str).collect();
        format!("expected {}, found {found_text}", join_or(&refs))
    };
    let span = Span::new(pos, pos + len);
    let mut d = Diagnostic::error(span, message).with_label("not expected here");
    // A misspelt keyword: suggest the nearest expected one.
    if word_len > 0 {
        if let Some(k) = diag::nearest(found, keywords.iter().map(String::as_str)) {
            d = d.with_hint(format!("did you mean `{k}`?"));
        }
    }
    // A bracket left open further up is the likely cause when its closer is expected here.
    if let Some((open, at)) = unclosed(&source[..pos]) {
        let close = match open {
            '{' => "}",
            '(' => ")",
            _ => "]",
        };
        let closer_expected = expected.iter().any(|x| x.trim_matches('`') == close);
        let (line, _) = line_col(source, at);
        let (here, _) = line_col(source, pos);
        let item_keyword = ["model", "network", "data", "relax", "learn", "solver"].contains(&found);
        if closer_expected && (item_keyword || (open != '{' && here > line) || found.is_empty()) {
            d = d
                .with_hint(format!("the `{open}` on line {line} is never closed; add `{close}` before this"));
        }
    }
    d
}

/// A number written with a typo, like `1.2.3` or `12abc`: the parser read a number and then
/// stopped in what looks like the rest of it.
fn malformed_number(source: &str, pos: usize) -> Option<Diagnostic> {
    let bytes = source.as_bytes();
    let prev = *bytes.get(pos.checked_sub(1)?)?;
    let next = *bytes.get(pos)?;
    if !(prev.is_ascii_digit() || prev == b'.')
        || !(next.is_ascii_alphanumeric() || next == b'.' || next == b'_')
    {
        return None;
    }
    let mut start = pos;
    while start > 0 && (bytes[start - 1].is_ascii_digit() || matches!(bytes[start - 1], b'.' | b'e' | b'E')) {
        start -= 1;
    }
    // A number starts with a digit or a point (after an optional sign), never inside a name.
    if start > 0 && (bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'_') {
        return None;
    }
    if start > 0 && bytes[start - 1] == b'-' {
        start -= 1;
    }
    let mut end = pos;
    while end < bytes.len() && (bytes[end].is_ascii_alphanumeric() || matches!(bytes[end], b'.' | b'_')) {
        end += 1;
    }
    let text = &source[start..end];
    Some(
        Diagnostic::error(Span::new(start, end), format!("`{text}` is not a number"))
            .with_label("malformed number")
            .with_hint("numbers are written like `3`, `0.25`, `-1.5` or `1e-6`; separate words with spaces"),
    )
}

/// The words that start statements and blocks, which a value may not name (the grammar's
/// `keyword` rule; a test keeps the two lists together).
pub(crate) const KEYWORDS: &[&str] = &[
    "activation",
    "anchor",
    "backend",
    "bias",
    "bound",
    "channels",
    "conv",
    "data",
    "filters",
    "filter",
    "files",
    "inputs",
    "input",
    "kernel",
    "labels",
    "max_iter",
    "model",
    "network",
    "noise",
    "offset",
    "output",
    "padding",
    "param",
    "penalty",
    "planted",
    "random",
    "refine",
    "relax",
    "restarts",
    "samples",
    "seed",
    "solver",
    "stride",
    "test",
    "time_limit",
    "tolerance",
    "learn",
    "weight_decay",
    "form",
    "arrangements",
];

/// The statements whose keyword a number follows.
const TAKES_A_NUMBER: &[&str] = &[
    "weight_decay",
    "arrangements",
    "input",
    "channels",
    "kernel",
    "stride",
    "padding",
    "filters",
    "samples",
    "seed",
    "noise",
    "tolerance",
    "max_iter",
    "time_limit",
    "=",
];

/// A statement's number left out, so that the next statement's keyword stands where it should be
/// (`samples` then `seed 1`): the grammar's refusal of a keyword as a value stops inside the
/// keyword's look-ahead, past the place to point at.
fn keyword_for_value(source: &str, pos: usize) -> Option<Diagnostic> {
    // Where the word that ends `text` starts (after the last character that is not of a word,
    // whatever its width in bytes).
    let word_start = |text: &str| {
        let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_';
        text.char_indices().rev().find(|&(_, c)| !is_word(c)).map_or(0, |(k, c)| k + c.len_utf8())
    };
    let before = source[..pos].trim_end();
    let start = word_start(before);
    let word = &before[start..];
    if !KEYWORDS.contains(&word) {
        return None;
    }
    let prev = source[..start].trim_end();
    let prev_word = match prev.chars().next_back() {
        Some('=') => "=",
        _ => &prev[word_start(prev)..],
    };
    let span = Span::new(start, start + word.len());
    if prev_word == "param" {
        return Some(
            Diagnostic::error(span, format!("`{word}` starts a statement and cannot name a parameter"))
                .with_label("a keyword")
                .with_hint(format!("choose another name, like `{word}_size` or a letter")),
        );
    }
    if !TAKES_A_NUMBER.contains(&prev_word) {
        return None;
    }
    let what = if prev_word == "=" { "`=`".to_string() } else { format!("`{prev_word}`") };
    Some(
        Diagnostic::error(span, format!("expected a number, found `{word}`"))
            .with_label("not expected here")
            .with_hint(format!(
                "{what} needs a number (or a parameter's name) after it; `{word}` starts a statement"
            )),
    )
}

/// A `"` whose line has no closing `"`.
fn unterminated_string(source: &str, pos: usize) -> Option<Diagnostic> {
    let rest = source.get(pos..)?;
    let mut line = scan(rest).take_while(|&(_, c, _)| c != '\n');
    let opens_here = matches!(line.next(), Some((_, _, Part::OpenQuote)));
    if !opens_here || line.any(|(_, _, part)| part == Part::CloseQuote) {
        return None;
    }
    Some(
        Diagnostic::error(Span::new(pos, pos + 1), "this quoted file name has no closing `\"`")
            .with_label("string starts here")
            .with_hint("close the quotes on the same line: a file name cannot span lines"),
    )
}

/// The innermost bracket of `text` that is still open at its end, with its offset; comments and
/// quoted strings are skipped.
fn unclosed(text: &str) -> Option<(char, usize)> {
    let mut stack: Vec<(char, usize)> = Vec::new();
    for (i, c, part) in scan(text) {
        if part != Part::Code {
            continue;
        }
        match c {
            '{' | '(' | '[' => stack.push((c, i)),
            '}' | ')' | ']' => {
                let open = match c {
                    '}' => '{',
                    ')' => '(',
                    _ => '[',
                };
                if stack.last().is_some_and(|&(o, _)| o == open) {
                    stack.pop();
                }
            }
            _ => {}
        }
    }
    stack.pop()
}

/// The 1-based line and column of byte `offset` ([`crate::Source::line_col`]; only errors ask).
fn line_col(source: &str, offset: usize) -> (usize, usize) {
    crate::Source::new("", source).line_col(offset)
}

fn join_or(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse;

    /// The grammar's `keyword` rule and [`KEYWORDS`] name the same words: each keyword is refused
    /// as a value with the message made for it, and a word that is not one is a parameter's name.
    #[test]
    fn every_keyword_is_refused_as_a_value_and_nothing_else_is() {
        for kw in KEYWORDS {
            let text = format!("network {{ input 8 conv kernel 4 stride 4 activation relu }}\ndata planted {{ samples {kw} 1 }}");
            let d = parse(&text).expect_err(kw);
            assert_eq!(d.message, format!("expected a number, found `{kw}`"), "{kw}");
            assert_eq!(&text[d.span.start..d.span.end], *kw);
        }
        let grammar = include_str!("../../../../grammar/cnr.pest");
        let rule = &grammar[grammar.find("keyword = @{").expect("the keyword rule")..];
        let rule = &rule[..rule.find('}').expect("its end")];
        let quoted = rule.split('"').skip(1).step_by(2).count();
        assert_eq!(quoted, KEYWORDS.len(), "the grammar's keyword rule lists other words:\n{rule}");
        parse("param seedling = 1\nnetwork { input seedling }")
            .expect("a word that starts with a keyword is a name");
    }

    /// Found by the fuzzer: a syntax error after a word that follows a character of several
    /// bytes looked for the word's start in the middle of that character.
    #[test]
    fn a_syntax_error_after_a_multibyte_character_is_reported() {
        for text in [
            "network { input 16 }\ndata planted { samples éseed 1 }",
            "network { input 8 conv kernel 4 strideéstride 4 }",
            "network { input é16 }",
            "# é16\n  seed 1\n",
            "# aéb\n}",
        ] {
            let d = parse(text).expect_err(text);
            assert!(
                text.is_char_boundary(d.span.start) && text.is_char_boundary(d.span.end),
                "{text}: {d:?}"
            );
        }
    }
}
