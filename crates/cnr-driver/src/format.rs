//! A model's text: decoding its bytes, and the canonical formatting of `cnr fmt`.

use crate::{Error, ModelErrors, Sources};
use cnr_syntax::{Diagnostic, Span};

/// The text of a model file's bytes; bytes that are not UTF-8 are an error at the first bad byte.
pub fn decode_text(name: &str, bytes: Vec<u8>) -> Result<String, Error> {
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        // The lossy text has the same prefix, so the offset of the first bad byte is valid in it.
        let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
        let d = Diagnostic::error(Span::new(at, at + 1), "the file is not valid UTF-8 text")
            .with_label("invalid byte")
            .with_hint("save the model as UTF-8");
        Error::Model(Box::new(ModelErrors { sources: Sources::model(name, &text), diagnostics: vec![d] }))
    })
}

/// The model `text` (named `name` in diagnostics) in canonical form, comments kept; a text that
/// does not parse is an error.
pub fn format(text: &str, name: &str) -> Result<String, Error> {
    let file = cnr_syntax::parse(text).map_err(|d| {
        Error::Model(Box::new(ModelErrors { sources: Sources::model(name, text), diagnostics: vec![d] }))
    })?;
    Ok(cnr_syntax::format(&file))
}
