//! The `.cnr` language: the pest grammar (`grammar/cnr.pest`), the syntax tree with spans, the
//! diagnostic type every later phase reports with, and the canonical formatter.
//!
//! ```
//! let file = cnr_syntax::parse("model tiny\nnetwork { input 8 conv kernel 4 stride 4 activation relu output ones }").unwrap();
//! assert_eq!(file.items.len(), 2);
//! let text = cnr_syntax::format(&file);
//! assert_eq!(cnr_syntax::parse(&text).unwrap(), file);
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod ast;
mod diag;
mod format;
mod parse;
pub mod settings;
mod sources;
mod span;

pub use diag::{nearest, suggest, Diagnostic, Severity};
pub use format::{format, format_expr};
pub use parse::{parse, without_comments};
pub use settings::{is_parameter_name, Setting, SettingError};
pub use sources::{plain_error, Location, Sources};
pub use span::{Span, Spanned};

/// A source file's text with its name, and the mapping from byte offsets to lines and columns.
#[derive(Clone, Debug)]
pub struct Source {
    /// The name shown in messages (usually the path as the user gave it).
    pub name: String,
    /// The text.
    pub text: String,
    line_starts: Vec<usize>,
}

impl Source {
    /// A source named `name` holding `text`.
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        let text = text.into();
        let line_starts = std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
        Source { name: name.into(), text, line_starts }
    }

    /// The 1-based line and column (in characters) of byte `offset`.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&s| s <= offset) - 1;
        let start = self.line_starts[line];
        let col = self.text.get(start..offset).map_or(offset - start, |s| s.chars().count());
        (line + 1, col + 1)
    }
}
