//! The checks around pest's parse: the nesting and chain limits read the raw text before anything
//! recursive does, and the keyword boundaries are checked on the pairs once pest has accepted them.

use super::scan::{scan, Part};
use super::Rule;
use crate::{Diagnostic, Span};
use pest::iterators::Pair;

/// The deepest nesting of parentheses, and the longest run of signs before one operand, that a
/// model may have. Every walk over an expression (the parser's, the checker's, the formatter's,
/// lowering's) recurses once per level, and a real activation needs a handful; without a limit a
/// 7 KB file of parentheses overflows the stack.
pub const MAX_NESTING: usize = 256;

/// The most operators one expression may chain (`z + z + …`, `z*1*1*…`): each one is a level of the
/// expression's tree.
pub const MAX_CHAIN: usize = 2_000;

/// Refuses text nested deeper than [`MAX_NESTING`] or with an operator chain longer than
/// [`MAX_CHAIN`], with a diagnostic at the place it is exceeded, before anything recursive reads it.
/// Comments and quoted file names are skipped.
pub(super) fn check_nesting(source: &str) -> Result<(), Diagnostic> {
    let too_far = |at: usize, message: String, label: &str, hint: &str| -> Result<(), Diagnostic> {
        Err(Diagnostic::error(Span::new(at, at + 1), message).with_label(label).with_hint(hint))
    };
    let (mut depth, mut signs, mut chain) = (0usize, 0usize, 0usize);
    let mut in_list = false;
    // A chain goes on over a line break only where an operator ends the line or starts the next
    // one (`f(z) = z` then `+ z` on the next line); anywhere else a new line is a new statement.
    let (mut line_break, mut after_operator) = (false, false);
    for (at, c, part) in scan(source).strings_span_lines() {
        let operator = matches!(c, '+' | '-' | '*' | '/');
        if line_break && matches!(part, Part::Code | Part::OpenQuote) && !c.is_whitespace() {
            line_break = false;
            if !after_operator && !operator {
                chain = 0;
            }
        }
        match c {
            '\n' => line_break = true,
            _ if part != Part::Code => {}
            '(' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return too_far(
                        at,
                        format!("parentheses nest deeper than {MAX_NESTING} levels"),
                        "too deep",
                        "an activation needs only a few levels; write the expression flatter",
                    );
                }
            }
            ')' => depth = depth.saturating_sub(1),
            '-' | '+' => {
                signs += 1;
                // In a list a sign belongs to its number: lists hold numbers, not arithmetic.
                chain += usize::from(!in_list);
                if signs > MAX_NESTING {
                    return too_far(
                        at,
                        format!("more than {MAX_NESTING} signs in a row"),
                        "too many signs",
                        "two minus signs cancel: write at most one",
                    );
                }
            }
            '*' | '/' => chain += usize::from(!in_list),
            // Blocks and list entries end chains.
            '[' => {
                in_list = true;
                chain = 0;
            }
            ']' => {
                in_list = false;
                chain = 0;
            }
            '{' | '}' | ',' => chain = 0,
            c if c.is_whitespace() => {}
            _ => signs = 0,
        }
        // Whether the text so far ends in an operator, comments and `#` signs left out.
        if part != Part::Comment && c != '#' && !c.is_whitespace() {
            after_operator = operator;
        }
        if chain > MAX_CHAIN {
            return too_far(
                at,
                format!("an expression chains more than {MAX_CHAIN} operators"),
                "too long",
                "an activation needs only a few terms; write it shorter (a `max` of pieces, say)",
            );
        }
    }
    Ok(())
}

/// The keyword a rule starts with, if it starts with one.
fn leading_keyword(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::model_decl => "model",
        Rule::param_decl => "param",
        Rule::network => "network",
        Rule::data => "data",
        Rule::planted_data | Rule::planted_file => "planted",
        Rule::file_data => "files",
        Rule::relax => "relax",
        Rule::learn => "learn",
        Rule::weight_decay => "weight_decay",
        Rule::form => "form",
        Rule::arrangements => "arrangements",
        Rule::solver => "solver",
        Rule::sweep => "sweep",
        Rule::sweep_param => "param",
        Rule::input_stmt => "input",
        Rule::channels => "channels",
        Rule::conv_stmt => "conv",
        Rule::kernel => "kernel",
        Rule::stride => "stride",
        Rule::padding => "padding",
        Rule::filters => "filters",
        Rule::bias => "bias",
        Rule::activation_stmt => "activation",
        Rule::output_stmt => "output",
        Rule::random => "random",
        Rule::file_ref => "file",
        Rule::samples => "samples",
        Rule::seed => "seed",
        Rule::noise => "noise",
        Rule::planted_filter => "filter",
        Rule::inputs => "inputs",
        Rule::labels => "labels",
        Rule::test_inputs | Rule::test_labels => "test",
        Rule::anchor => "anchor",
        Rule::penalty => "penalty",
        Rule::bound => "bound",
        Rule::backend => "backend",
        Rule::tolerance => "tolerance",
        Rule::max_iter => "max_iter",
        Rule::time_limit => "time_limit",
        _ => return None,
    })
}

/// A keyword must end where a word ends: the grammar's literals match `modelfoo` as `model foo`,
/// which would silently accept a typo, so every keyword is checked once parsing succeeded.
pub(super) fn check_keyword_boundaries(file: &Pair<Rule>) -> Result<(), Diagnostic> {
    let text = file.get_input();
    for p in file.clone().into_inner().flatten() {
        let kw = match p.as_rule() {
            // A sweep entry's word is its own keyword.
            Rule::sweep_key => p.as_str(),
            rule => match leading_keyword(rule) {
                Some(kw) => kw,
                None => continue,
            },
        };
        let start = p.as_span().start();
        let after = start + kw.len();
        let glued = text[after..].chars().next().is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
        if glued {
            let word_end = text[start..]
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .map_or(text.len(), |k| start + k);
            let word = &text[start..word_end];
            return Err(Diagnostic::error(Span::new(start, word_end), format!("`{word}` is not a keyword"))
                .with_label("unknown word")
                .with_hint(format!(
                    "put a space after `{kw}` if you meant `{kw} {}`",
                    &text[after..word_end]
                )));
        }
    }
    Ok(())
}
