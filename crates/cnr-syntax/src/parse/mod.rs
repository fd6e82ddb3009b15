//! From text to [`SourceFile`]: pest does the recognising, this module builds the tree and turns
//! pest's errors into [`Diagnostic`]s so that no pest type leaves the crate.
//!
//! The guards around pest's parse are in `guards`, the tree is built in `tree`, the errors are
//! translated in `errors`, and all three read comments and quoted strings through `scan`.

mod errors;
mod guards;
mod scan;

pub use scan::without_comments;
mod tree;

use crate::ast::SourceFile;
use crate::Diagnostic;
use pest::Parser;

#[derive(pest_derive::Parser)]
#[grammar = "../../grammar/cnr.pest"]
struct CnrParser;

/// Parses a `.cnr` file. A syntax error comes back as one diagnostic pointing at the place where the
/// text stopped making sense, with what was expected there.
pub fn parse(source: &str) -> Result<SourceFile, Diagnostic> {
    guards::check_nesting(source)?;
    // Detailed error tracking records the literal tokens (`}`, `)`, keywords) that would have been
    // accepted where parsing stopped, not only the named rules; the messages need them.
    pest::set_error_detail(true);
    let mut pairs = CnrParser::parse(Rule::file, source).map_err(|e| errors::syntax_error(source, e))?;
    let file = pairs.next().expect("the file rule always yields one pair");
    guards::check_keyword_boundaries(&file)?;
    let items = file.into_inner().filter(|p| p.as_rule() != Rule::EOI).map(tree::item).collect();
    Ok(SourceFile { items, comments: tree::comments(source) })
}
