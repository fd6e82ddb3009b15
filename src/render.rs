//! Rendering diagnostics like a compiler: `file:line:column`, the source line, a marker under the
//! offending span, and the hints. Plain text, no colours, so output is the same in a terminal, a log
//! and a snapshot.

use cnr_syntax::{Diagnostic, Severity, Source};
use codespan_reporting::diagnostic::{Diagnostic as Report, Label, Severity as ReportSeverity};
use codespan_reporting::files::SimpleFile;
use codespan_reporting::term::{self, Config};

/// The most diagnostics shown for one file; the rest are counted in one line. A file with thousands
/// of repeated mistakes would otherwise print megabytes.
const MAX_SHOWN: usize = 50;

/// Renders diagnostics about `source` into one string (at most [`MAX_SHOWN`] of them).
pub fn render(source: &Source, diags: &[Diagnostic]) -> String {
    let file = SimpleFile::new(source.name.as_str(), source.text.as_str());
    let config = Config::default();
    let mut out = String::new();
    if diags.len() > MAX_SHOWN {
        let rest = diags.len() - MAX_SHOWN;
        let tail = format!(
            "error: {rest} more problems in {} are not shown; fix the ones above first\n",
            source.name
        );
        return render(source, &diags[..MAX_SHOWN]) + &tail;
    }
    for d in diags {
        let severity = match d.severity {
            Severity::Error => ReportSeverity::Error,
            Severity::Warning => ReportSeverity::Warning,
        };
        let mut report = Report::new(severity).with_message(&d.message);
        if !d.span.is_detached() {
            let end = d.span.end.min(source.text.len());
            let start = d.span.start.min(end);
            let mut label = Label::primary((), start..end);
            if let Some(l) = &d.label {
                label = label.with_message(l);
            }
            report = report.with_labels(vec![label]);
        } else {
            report = report.with_notes(vec![format!("in {}", source.name)]);
        }
        report = report.with_notes(d.hints.iter().map(|h| format!("help: {h}")).collect::<Vec<_>>());
        match term::emit_into_string(&config, &file, &report) {
            Ok(text) => out.push_str(&text),
            // Rendering can only fail on a span outside the file; fall back to the bare message.
            Err(_) => out.push_str(&format!("error: {}\n", d.message)),
        }
    }
    out
}

/// A one-line error about a file or a command-line value, without a source excerpt.
pub fn plain_error(message: &str, hint: Option<&str>) -> String {
    let mut s = format!("error: {message}\n");
    if let Some(h) = hint {
        s.push_str(&format!("  = help: {h}\n"));
    }
    s
}
