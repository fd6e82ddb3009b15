/// A byte range `start..end` in a source file.
///
/// Spans never take part in equality: two syntax trees that differ only in layout compare equal,
/// which is what the formatter's round-trip property (`parse(fmt(x)) == parse(x)`) needs.
#[derive(Clone, Copy, Debug, Default, Eq, serde::Serialize)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl PartialEq for Span {
    fn eq(&self, _: &Span) -> bool {
        true
    }
}

impl Span {
    /// The span `start..end`.
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }

    /// The smallest span covering both.
    pub fn join(self, other: Span) -> Span {
        Span { start: self.start.min(other.start), end: self.end.max(other.end) }
    }

    /// Whether the span is the detached one (used for things the compiler made, not the user).
    pub fn is_detached(&self) -> bool {
        self.start == usize::MAX
    }

    /// A span that points nowhere in the source.
    pub fn detached() -> Span {
        Span { start: usize::MAX, end: usize::MAX }
    }
}

/// A value with the span it was written at.
#[derive(Clone, Debug, PartialEq)]
pub struct Spanned<T> {
    /// The value.
    pub node: T,
    /// Where it was written.
    pub span: Span,
}

impl<T> Spanned<T> {
    /// Pairs a value with its span.
    pub fn new(node: T, span: Span) -> Self {
        Spanned { node, span }
    }
}
