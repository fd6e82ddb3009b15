//! The lexical layer of the reader: the significant lines of the text, the keyword lines, the
//! fields of a line, and the integers, indices and reals in the spelling CBF allows. Every error
//! carries the line it was found at.

use super::*;

/// Walks the significant lines of the text: blank lines and comments (lines whose first byte is `#`)
/// are skipped wherever they are.
pub(super) struct Cursor<'a> {
    pub(super) rest: &'a str,
    pub(super) line: usize,
}

impl<'a> Cursor<'a> {
    pub(super) fn next_line(&mut self) -> Option<(usize, &'a str)> {
        while !self.rest.is_empty() {
            let (raw, rest) = match self.rest.find('\n') {
                Some(k) => (&self.rest[..k], &self.rest[k + 1..]),
                None => (self.rest, ""),
            };
            self.rest = rest;
            self.line += 1;
            if raw.starts_with('#') {
                continue;
            }
            let trimmed = raw.trim_matches(|c: char| c.is_ascii_whitespace());
            if !trimmed.is_empty() {
                return Some((self.line, trimmed));
            }
        }
        None
    }

    /// An upper bound on the number of significant lines left, for capping allocations.
    pub(super) fn max_lines_left(&self) -> usize {
        self.rest.len() / 2 + 1
    }
}

/// The keywords of CBF versions 1 to 3.
const KEYWORDS: [&str; 18] = [
    "VER",
    "POWCONES",
    "POW*CONES",
    "OBJSENSE",
    "PSDVAR",
    "VAR",
    "INT",
    "PSDCON",
    "CON",
    "OBJFCOORD",
    "OBJACOORD",
    "OBJBCOORD",
    "FCOORD",
    "ACOORD",
    "BCOORD",
    "HCOORD",
    "DCOORD",
    "CHANGE",
];

impl<'a> Reader<'a> {
    /// Resolves a keyword line: exactly one token, a known keyword.
    pub(super) fn keyword(&self, line: usize, text: &str) -> Result<&'static str, CbfError> {
        let mut tokens = text.split_ascii_whitespace();
        let first = tokens.next().unwrap_or_default();
        let known = KEYWORDS.iter().copied().find(|k| *k == first);
        match (known, tokens.next()) {
            (Some(k), None) => Ok(k),
            (Some(k), Some(extra)) => Err(malformed(
                line,
                format!("the keyword {k} must stand alone on its line, found `{extra}` after it"),
            )),
            (None, _) if first.starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '.') => {
                Err(malformed(
                    line,
                    format!(
                        "expected a keyword, found data `{text}` (does a count above say too few lines?)"
                    ),
                ))
            }
            (None, _) => {
                let hint = KEYWORDS
                    .iter()
                    .find(|k| k.eq_ignore_ascii_case(first))
                    .map(|k| format!(" (keywords are case-sensitive: did you mean {k}?)"))
                    .unwrap_or_default();
                Err(malformed(line, format!("unknown keyword `{first}`{hint}")))
            }
        }
    }

    /// The next significant line split into exactly `N` tokens, or `None` at the end of the file.
    fn next_fields<const N: usize>(
        &mut self,
        item: &str,
        what: &str,
    ) -> Result<Option<(usize, [&'a str; N])>, CbfError> {
        let Some((line, text)) = self.cur.next_line() else {
            return Ok(None);
        };
        let mut out = [""; N];
        let mut count = 0;
        for token in text.split_ascii_whitespace() {
            if count < N {
                out[count] = token;
            }
            count += 1;
        }
        if count != N {
            let s = if N == 1 { "" } else { "s" };
            return Err(malformed(
                line,
                format!("expected {N} field{s} ({what}) in {item}, found {count}: `{text}`"),
            ));
        }
        Ok(Some((line, out)))
    }

    /// The next significant line (a header or a single body line) split into exactly `N` tokens.
    pub(super) fn fields<const N: usize>(
        &mut self,
        item: &str,
        what: &str,
    ) -> Result<(usize, [&'a str; N]), CbfError> {
        match self.next_fields::<N>(item, what)? {
            Some(found) => Ok(found),
            None => {
                Err(malformed(self.cur.line.max(1), format!("end of file inside {item}: expected {what}")))
            }
        }
    }

    /// The next body line of an item that should hold `count` of them, `found` read so far; at the end
    /// of the file the error says how many were found.
    pub(super) fn entry<const N: usize>(
        &mut self,
        item: &str,
        what: &str,
        count: usize,
        found: usize,
    ) -> Result<(usize, [&'a str; N]), CbfError> {
        match self.next_fields::<N>(item, what)? {
            Some(found) => Ok(found),
            None => {
                let entries = if count == 1 { "line" } else { "lines" };
                Err(malformed(
                    self.cur.line.max(1),
                    format!("end of file inside {item}: expected {count} {entries} of {what}, found {found}"),
                ))
            }
        }
    }
}

/// Parses a plain decimal integer (no sign, no exponent), as CBF requires for counts and indices.
pub(super) fn int(line: usize, token: &str, what: &str) -> Result<usize, CbfError> {
    if let Some(rest) = token.strip_prefix('-') {
        if !rest.is_empty() && rest.bytes().all(|c| c.is_ascii_digit()) {
            return Err(malformed(line, format!("{what} must not be negative, found `{token}`")));
        }
    }
    if token.is_empty() || !token.bytes().all(|c| c.is_ascii_digit()) {
        return Err(malformed(line, format!("expected an integer for {what}, found `{token}`")));
    }
    token.parse().map_err(|_| malformed(line, format!("{what} `{token}` is too large")))
}

/// Parses an index and checks it against `len`.
pub(super) fn index(line: usize, token: &str, what: &str, len: usize) -> Result<usize, CbfError> {
    // The fast path allocates nothing; the error message is built only when needed.
    let parsed = match token.parse::<usize>() {
        Ok(i) if token.bytes().all(|c| c.is_ascii_digit()) => i,
        _ => int(line, token, &format!("a {what} index"))?,
    };
    let i = parsed;
    if i >= len {
        let range = if len == 0 { format!("there are no {what}s") } else { format!("valid: 0..{}", len - 1) };
        return Err(malformed(line, format!("{what} index {i} is out of range ({range})")));
    }
    Ok(i)
}

/// Parses a real the way C's `strtod` does in the "C" locale, minus what CBF readers reject: a leading
/// `+`, hexadecimal, `inf`, `nan`, and values that overflow to infinity.
pub(super) fn real(line: usize, token: &str, what: &str) -> Result<f64, CbfError> {
    let plain = token.bytes().all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'-' | b'+' | b'e' | b'E'));
    if !plain || token.starts_with('+') {
        return Err(malformed(line, format!("expected a real number for {what}, found `{token}`")));
    }
    let v: f64 = token
        .parse()
        .map_err(|_| malformed(line, format!("expected a real number for {what}, found `{token}`")))?;
    if !v.is_finite() {
        return Err(malformed(line, format!("{what} `{token}` is not a finite number")));
    }
    let mantissa = token.split(['e', 'E']).next().unwrap_or_default();
    if v == 0.0 && mantissa.bytes().any(|c| matches!(c, b'1'..=b'9')) {
        return Err(malformed(
            line,
            format!("{what} `{token}` is too small for a double: it would be read as 0 (the smallest is about 4.9e-324); write 0 if that is meant"),
        ));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_follow_cbf_rules() {
        for ok in ["5", "5.", ".5", "1e-3", "1E-3", "-1E+2", "1e-300", "-0.0"] {
            assert!(real(1, ok, "x").is_ok(), "{ok}");
        }
        for bad in ["+2.5", "0x1p3", "1,5", "1.0d0", "nan", "inf", "NaN", "infinity", "1e999", "", "-", "e5"]
        {
            assert!(real(1, bad, "x").is_err(), "{bad}");
        }
        assert_eq!(int(1, "17", "x"), Ok(17));
        for bad in ["1e0", "+1", "-1", "1.0", "", "99999999999999999999999"] {
            assert!(int(1, bad, "x").is_err(), "{bad}");
        }
    }
}
