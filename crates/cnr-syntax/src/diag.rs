use crate::Span;

/// How serious a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The model cannot be used.
    Error,
    /// The model can be used, but something looks wrong.
    Warning,
}

/// One message about a source file: what is wrong, where, and what to do.
///
/// Every phase after parsing (checking, data loading, lowering) reports problems as diagnostics and
/// keeps going where it can, so a file with several mistakes shows them all. Rendering (colours, the
/// source excerpt with a marker) is the command line's business.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// The span the message is about; detached for whole-file messages.
    pub span: Span,
    /// What is wrong, in one sentence.
    pub message: String,
    /// A label shown under the marker.
    pub label: Option<String>,
    /// What to do about it.
    pub hints: Vec<String>,
}

impl Diagnostic {
    /// An error at `span`.
    pub fn error(span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            span,
            message: message.into(),
            label: None,
            hints: Vec::new(),
        }
    }

    /// A warning at `span`.
    pub fn warning(span: Span, message: impl Into<String>) -> Self {
        Diagnostic { severity: Severity::Warning, ..Diagnostic::error(span, message) }
    }

    /// Adds a label under the marker.
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// Adds a hint.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hints.push(hint.into());
        self
    }

    /// Whether this is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// The diagnostic without its place: `error: message`, then one `help:` line per hint. The place
/// (file, line, column and the source excerpt) needs the source text, which the driver's renderer
/// has.
impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let severity = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{severity}: {}", self.message)?;
        for hint in &self.hints {
            write!(f, "\n  = help: {hint}")?;
        }
        Ok(())
    }
}

/// The name among `known` closest to `name`, if it is close enough to be a likely typo.
pub fn nearest<'a>(name: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    known
        .into_iter()
        .map(|k| (strsim::damerau_levenshtein(name, k), k))
        .filter(|&(d, k)| d <= 2.max(k.len() / 3))
        .min_by_key(|&(d, _)| d)
        .map(|(_, k)| k)
}

/// A hint listing the nearest known names, or all of them when none is close.
pub fn suggest<'a>(name: &str, known: &'a [&'a str]) -> String {
    match nearest(name, known.iter().copied()) {
        Some(k) => format!("did you mean `{k}`? known names: {}", known.join(", ")),
        None => format!("known names: {}", known.join(", ")),
    }
}
