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

/// Source lines longer than this many bytes are cut around the span when shown.
const MAX_LINE: usize = 200;

/// How many bytes of a cut line are kept on each side of the span (and of a long span itself).
const CONTEXT: usize = 60;

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
        out.push_str(&render_one(source, &file, &config, d));
    }
    out
}

/// Renders one diagnostic; on a line longer than [`MAX_LINE`], only an excerpt around the span.
fn render_one(source: &Source, file: &SimpleFile<&str, &str>, config: &Config, d: &Diagnostic) -> String {
    let severity = match d.severity {
        Severity::Error => ReportSeverity::Error,
        Severity::Warning => ReportSeverity::Warning,
    };
    let mut report = Report::new(severity).with_message(&d.message);
    let end = d.span.end.min(source.text.len());
    let start = d.span.start.min(end);
    let cut = if d.span.is_detached() { None } else { excerpt(&source.text, start, end) };
    let range = cut.as_ref().map_or(start..end, |c| c.span.clone());
    if !d.span.is_detached() {
        let mut label = Label::primary((), range);
        if let Some(l) = &d.label {
            label = label.with_message(l);
        }
        report = report.with_labels(vec![label]);
    } else {
        report = report.with_notes(vec![format!("in {}", source.name)]);
    }
    report = report.with_notes(d.hints.iter().map(|h| format!("help: {h}")).collect::<Vec<_>>());
    let rendered = match &cut {
        Some(c) => {
            let short = SimpleFile::new(source.name.as_str(), c.text.as_str());
            term::emit_into_string(config, &short, &report).map(|text| {
                // The header names the column in the real line, not in the excerpt.
                let (shown, real) =
                    (format!(":{}:{} ", c.line, c.shown_column), format!(":{}:{} ", c.line, c.column));
                let shown_end = format!(":{}:{}\n", c.line, c.shown_column);
                let real_end = format!(":{}:{}\n", c.line, c.column);
                text.replacen(&shown_end, &real_end, 1).replacen(&shown, &real, 1)
            })
        }
        None => term::emit_into_string(config, file, &report),
    };
    // Rendering can only fail on a span outside the file; fall back to the bare message.
    rendered.unwrap_or_else(|_| format!("error: {}\n", d.message))
}

/// A long source line cut around a span: a text with as many line breaks before it as the real
/// line has, so that the line number stays, and the span's place in it.
struct Excerpt {
    text: String,
    span: std::ops::Range<usize>,
    /// The 1-based line, and the span's 1-based column in the real line and in the excerpt.
    line: usize,
    column: usize,
    shown_column: usize,
}

/// The excerpt of the line holding `start` when that line is longer than [`MAX_LINE`].
fn excerpt(text: &str, start: usize, end: usize) -> Option<Excerpt> {
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    if line_end - line_start <= MAX_LINE {
        return None;
    }
    let boundary_down = |mut i: usize| {
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let boundary_up = |mut i: usize| {
        while !text.is_char_boundary(i) {
            i += 1;
        }
        i
    };
    // The span itself is kept up to CONTEXT bytes, and CONTEXT bytes on each side of it.
    let span_end = boundary_down(end.min(line_end).min(start + CONTEXT).max(start));
    let from = boundary_down(start.saturating_sub(CONTEXT).max(line_start));
    let to = boundary_up((span_end + CONTEXT).min(line_end));
    let line = text[..line_start].matches('\n').count() + 1;
    let mut cut = "\n".repeat(line - 1);
    if from > line_start {
        cut.push('…');
    }
    let shown_start = cut.len() + (start - from);
    let shown_column = cut[cut.len() - usize::from(from > line_start) * '…'.len_utf8()..].chars().count()
        + text[from..start].chars().count()
        + 1;
    cut.push_str(&text[from..to]);
    if to < line_end {
        cut.push('…');
    }
    Some(Excerpt {
        span: shown_start..shown_start + (span_end - start),
        line,
        column: text[line_start..start].chars().count() + 1,
        shown_column,
        text: cut,
    })
}

/// A one-line error about a file or a command-line value, without a source excerpt.
pub fn plain_error(message: &str, hint: Option<&str>) -> String {
    let mut s = format!("error: {message}\n");
    if let Some(h) = hint {
        s.push_str(&format!("  = help: {h}\n"));
    }
    s
}
