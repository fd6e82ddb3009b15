//! `--set BLOCK.STATEMENT=VALUE`: any statement of `relax`, `solver` or `data planted` from the
//! command line, checked exactly as the same text in the file would be.
//!
//! Each setting becomes a block of its own, `BLOCK { STATEMENT VALUE }`, appended to the model's
//! text after a comment naming the flag. The text is parsed as one file; then each appended block's
//! statement replaces the statements of the same kind in the file's block (or the appended block
//! stays, when the file has none). Every diagnostic therefore points into a real text: the file's,
//! or the appended line that shows the flag.

use cnr_syntax::ast::{Item, RelaxStmt, SourceFile};
use cnr_syntax::Diagnostic;
use std::mem::discriminant;

/// The blocks `--set` reaches, by the key's first part, and how they are written.
const BLOCKS: &[(&str, &str)] = &[("relax", "relax"), ("solver", "solver"), ("data", "data planted")];

/// The model's text with the settings appended, each after a comment that names its flag. A key
/// that names no block is reported with the flag.
pub fn with_settings(text: &str, settings: &[(String, String)]) -> Result<String, String> {
    let mut out = text.to_string();
    if !settings.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    for (key, value) in settings {
        let Some((block, statement)) = key.split_once('.') else {
            return Err(format!(
                "--set {key}={value}: the key is BLOCK.STATEMENT, e.g. relax.anchor or solver.max_iter"
            ));
        };
        let Some((_, written)) = BLOCKS.iter().find(|(name, _)| *name == block) else {
            let names: Vec<&str> = BLOCKS.iter().map(|b| b.0).collect();
            return Err(format!(
                "--set {key}={value}: `{block}` is not a block --set reaches ({})",
                names.join(", ")
            ));
        };
        if statement.is_empty() || !statement.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(format!("--set {key}={value}: `{statement}` is not a statement name"));
        }
        out.push_str(&format!("# --set {key}={value}\n{written} {{ {statement} {value} }}\n"));
    }
    Ok(out)
}

/// Merges the blocks appended by [`with_settings`] (those starting at or after `file_len`) into the
/// file's own blocks of the same kind.
pub fn merge(mut file: SourceFile, file_len: usize) -> Result<SourceFile, Vec<Diagnostic>> {
    let appended: Vec<Item> = file.items.iter().filter(|i| i.span().start >= file_len).cloned().collect();
    file.items.retain(|i| i.span().start < file_len);
    let mut errors = Vec::new();
    let reads_files = file.items.iter().any(|i| matches!(i, Item::FileData(_)));
    for item in appended {
        let at = file.items.iter().position(|i| discriminant(i) == discriminant(&item));
        let target = at.map(|k| &mut file.items[k]);
        match (target, item) {
            (Some(Item::Relax(own)), Item::Relax(set)) => replace(&mut own.stmts, set.stmts, |a, b| {
                // Both forms of `anchor` are one statement.
                let anchor =
                    |s: &RelaxStmt| matches!(s, RelaxStmt::AnchorNamed(_) | RelaxStmt::AnchorVector(_));
                discriminant(a) == discriminant(b) || (anchor(a) && anchor(b))
            }),
            (Some(Item::Solver(own)), Item::Solver(set)) => {
                replace(&mut own.stmts, set.stmts, |a, b| discriminant(a) == discriminant(b))
            }
            (Some(Item::PlantedData(own)), Item::PlantedData(set)) => {
                replace(&mut own.stmts, set.stmts, |a, b| discriminant(a) == discriminant(b))
            }
            (None, Item::PlantedData(set)) if reads_files => {
                errors.push(
                    Diagnostic::error(
                        set.span,
                        "--set data.… changes planted data, and this model reads its data from files",
                    )
                    .with_label("from --set")
                    .with_hint("--samples keeps the first samples of the files"),
                );
            }
            (None, item) => file.items.push(item),
            (Some(_), _) => unreachable!("the target has the item's kind"),
        }
    }
    if errors.is_empty() {
        Ok(file)
    } else {
        Err(errors)
    }
}

/// Replaces the statements of the kinds in `set` (by `same`) by them.
fn replace<S>(
    own: &mut Vec<cnr_syntax::Spanned<S>>,
    set: Vec<cnr_syntax::Spanned<S>>,
    same: impl Fn(&S, &S) -> bool,
) {
    for s in set {
        own.retain(|o| !same(&o.node, &s.node));
        own.push(s);
    }
}

/// Whether a diagnostic points into the appended settings (for a hint that names the flag).
pub fn in_settings(d: &Diagnostic, file_len: usize) -> bool {
    !d.span.is_detached() && d.span.start >= file_len
}
