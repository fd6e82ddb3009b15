//! The texts a model's diagnostics point into — the model's own and one per setting — and their
//! rendering like a compiler's: `file:line:column`, the source line, a marker under the span, the
//! hints. Plain text, no colours, so the output is the same in a terminal, a log and a snapshot.
//!
//! A setting (`--set relax.anchor=spectral`) is parsed as the text `relax { anchor spectral }`
//! beside the model's, never inside it: the parser reads one buffer, the model's text and then each
//! setting's on a line of its own, and a span is an offset into that buffer. [`Sources`] knows
//! which region each offset belongs to, so a diagnostic is shown in the text it is about, named by
//! the file or by the flag.

use crate::{Diagnostic, Severity, Source, Span};
use codespan_reporting::diagnostic::{Diagnostic as Report, Label, Severity as ReportSeverity};
use codespan_reporting::files::SimpleFile;
use codespan_reporting::term::{self, Config};

/// The most diagnostics shown at once; the rest are counted in one line. A file with thousands
/// of repeated mistakes would otherwise print megabytes.
const MAX_SHOWN: usize = 50;

/// Source lines longer than this many bytes are cut around the span when shown.
const MAX_LINE: usize = 200;

/// How many bytes of a cut line are kept on each side of the span (and of a long span itself).
const CONTEXT: usize = 60;

/// The model's text and the settings' texts, one buffer for the parser.
#[derive(Clone, Debug)]
pub struct Sources {
    /// The buffer: the model's text, then each setting's on a line of its own.
    text: String,
    /// The regions of the buffer, the model's first.
    regions: Vec<Region>,
}

/// A named part of the buffer.
#[derive(Clone, Debug)]
struct Region {
    /// The file's name, or the flag of a setting.
    name: String,
    start: usize,
    end: usize,
    /// The flag, for a setting's region.
    flag: Option<String>,
}

/// Where a diagnostic points: the region's name, and the 1-based line and column in it.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Location {
    /// The file's name, or the flag that made the text.
    pub source: String,
    /// The line, from 1.
    pub line: usize,
    /// The column in characters, from 1.
    pub column: usize,
}

impl Sources {
    /// The model's text, named `name`.
    pub fn model(name: &str, text: &str) -> Sources {
        let region = Region { name: name.to_string(), start: 0, end: text.len(), flag: None };
        Sources { text: text.to_string(), regions: vec![region] }
    }

    /// Adds the text of a setting made by `flag`, on a line of its own.
    pub(crate) fn push_setting(&mut self, flag: String, text: &str) {
        if !self.text.is_empty() && !self.text.ends_with('\n') {
            self.text.push('\n');
        }
        let start = self.text.len();
        self.text.push_str(text);
        let end = self.text.len();
        self.text.push('\n');
        self.regions.push(Region { name: flag.clone(), start, end, flag: Some(flag) });
    }

    /// The buffer the parser reads.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The model's name in messages (the path as the user gave it).
    pub fn model_name(&self) -> &str {
        &self.regions[0].name
    }

    /// Where the model's own text ends in the buffer: an offset at or past it is a setting's.
    pub fn model_end(&self) -> usize {
        self.regions[0].end
    }

    /// The flag of the setting whose text holds `span`, if a setting's does.
    pub(crate) fn flag_at(&self, span: Span) -> Option<&str> {
        self.region_of(span).and_then(|r| r.flag.as_deref())
    }

    fn region_of(&self, span: Span) -> Option<&Region> {
        if span.is_detached() {
            return None;
        }
        // A span may end just past its region (at the line break that closes it).
        self.regions.iter().rev().find(|r| span.start >= r.start && span.start <= r.end)
    }

    /// Where a diagnostic points, when it points anywhere.
    pub fn locate(&self, d: &Diagnostic) -> Option<Location> {
        let region = self.region_of(d.span)?;
        let source = Source::new(region.name.clone(), &self.text[region.start..region.end]);
        let (line, column) = source.line_col(d.span.start - region.start);
        Some(Location { source: region.name.clone(), line, column })
    }

    /// Renders diagnostics into one string (at most [`MAX_SHOWN`] of them).
    pub fn render(&self, diags: &[Diagnostic]) -> String {
        if diags.len() > MAX_SHOWN {
            let rest = diags.len() - MAX_SHOWN;
            let hidden = &diags[MAX_SHOWN..];
            let tail = if hidden.iter().all(|d| d.severity == Severity::Warning) {
                format!("warning: {rest} more warnings about {} are not shown\n", self.model_name())
            } else {
                format!(
                    "error: {rest} more problems in {} are not shown; fix the ones above first\n",
                    self.model_name()
                )
            };
            return self.render(&diags[..MAX_SHOWN]) + &tail;
        }
        diags.iter().map(|d| self.render_one(d)).collect()
    }

    /// Renders one diagnostic in the text of its region; on a line longer than [`MAX_LINE`], only
    /// an excerpt around the span.
    fn render_one(&self, d: &Diagnostic) -> String {
        let region = self.region_of(d.span).unwrap_or(&self.regions[0]);
        let text = &self.text[region.start..region.end];
        let name = region.name.as_str();
        let severity = match d.severity {
            Severity::Error => ReportSeverity::Error,
            Severity::Warning => ReportSeverity::Warning,
        };
        let mut report = Report::new(severity).with_message(&d.message);
        let local = |offset: usize| offset.saturating_sub(region.start).min(text.len());
        let end = local(d.span.end);
        let start = local(d.span.start).min(end);
        let cut = if d.span.is_detached() { None } else { excerpt(text, start, end) };
        let range = cut.as_ref().map_or(start..end, |c| c.span.clone());
        if !d.span.is_detached() {
            let mut label = Label::primary((), range);
            if let Some(l) = &d.label {
                label = label.with_message(l);
            }
            report = report.with_labels(vec![label]);
        } else {
            report = report.with_notes(vec![format!("in {name}")]);
        }
        report = report.with_notes(d.hints.iter().map(|h| format!("help: {h}")).collect::<Vec<_>>());
        let config = Config::default();
        let rendered = match &cut {
            Some(c) => {
                let short = SimpleFile::new(name, c.text.as_str());
                term::emit_into_string(&config, &short, &report).map(|text| {
                    // The header names the column in the real line, not in the excerpt.
                    let (shown, real) =
                        (format!(":{}:{} ", c.line, c.shown_column), format!(":{}:{} ", c.line, c.column));
                    let shown_end = format!(":{}:{}\n", c.line, c.shown_column);
                    let real_end = format!(":{}:{}\n", c.line, c.column);
                    text.replacen(&shown_end, &real_end, 1).replacen(&shown, &real, 1)
                })
            }
            None => term::emit_into_string(&config, &SimpleFile::new(name, text), &report),
        };
        // Rendering can only fail on a span outside the text; fall back to the bare message.
        rendered.unwrap_or_else(|_| format!("error: {}\n", d.message))
    }
}

/// A one-line error about a file or a command-line value, without a source excerpt.
pub fn plain_error(message: &str, hint: Option<&str>) -> String {
    let mut s = format!("error: {message}\n");
    if let Some(h) = hint {
        s.push_str(&format!("  = help: {h}\n"));
    }
    s
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_diagnostic_in_a_setting_is_shown_in_the_settings_text() {
        let mut sources = Sources::model("m.cnr", "network { }");
        sources.push_setting("--set relax.anchor=x".into(), "relax { anchor x }");
        let at = sources.text().find("x }").expect("the setting's value");
        let d = Diagnostic::error(Span::new(at, at + 1), "unknown anchor `x`");
        let location = sources.locate(&d).expect("a place");
        assert_eq!(location, Location { source: "--set relax.anchor=x".into(), line: 1, column: 16 });
        let text = sources.render(&[d]);
        assert!(text.contains("┌─ --set relax.anchor=x:1:16"), "{text}");
        assert!(text.contains("relax { anchor x }") && !text.contains("network"), "{text}");
        assert_eq!(sources.flag_at(Span::new(at, at + 1)), Some("--set relax.anchor=x"));
        assert_eq!(sources.flag_at(Span::new(0, 1)), None);
    }

    #[test]
    fn the_line_for_diagnostics_not_shown_says_what_they_are() {
        let sources = Sources::model("m.cnr", "network { }");
        let warnings: Vec<Diagnostic> =
            (0..MAX_SHOWN + 3).map(|k| Diagnostic::warning(Span::new(0, 1), format!("w{k}"))).collect();
        let text = sources.render(&warnings);
        assert!(text.ends_with("warning: 3 more warnings about m.cnr are not shown\n"), "{text}");
        let mut errors = warnings;
        errors.push(Diagnostic::error(Span::new(0, 1), "e"));
        assert!(sources.render(&errors).ends_with("fix the ones above first\n"));
    }
}
