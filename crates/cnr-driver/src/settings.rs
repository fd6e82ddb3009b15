//! `--set BLOCK.STATEMENT=VALUE` and `--param NAME=VALUE`: a statement of `network`, `relax`,
//! `solver` or `data planted`, or a parameter's value, from the command line, checked exactly as
//! the same text in the file would be.
//!
//! Each setting becomes text of its own, `BLOCK { STATEMENT VALUE }` or `param NAME = VALUE`,
//! appended to the model's text after a comment naming the flag. The text is parsed as one file;
//! then each appended block's statement replaces the statements of the same kind in the file's
//! block (or the appended block stays, when the file has none), and an appended parameter replaces
//! the file's declaration in place. Every diagnostic therefore points into a real text: the file's,
//! or the appended line that shows the flag.

use cnr_syntax::ast::{Item, RelaxStmt, SourceFile};
use cnr_syntax::{nearest, Diagnostic};
use std::mem::discriminant;

/// The blocks `--set` reaches, by the key's first part, and how they are written.
const BLOCKS: &[(&str, &str)] =
    &[("network", "network"), ("relax", "relax"), ("solver", "solver"), ("data", "data planted")];

/// A change to a model from the command line.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Setting {
    /// `--set BLOCK.STATEMENT=VALUE`.
    Statement {
        /// `BLOCK.STATEMENT`.
        key: String,
        /// The statement's value, as it would be written in the block.
        value: String,
    },
    /// `--param NAME=VALUE`.
    Param {
        /// The parameter's name.
        name: String,
        /// Its value, as it would be written after `=`.
        value: String,
    },
}

impl Setting {
    /// The flag that makes this setting, as a user types it.
    pub fn flag(&self) -> String {
        match self {
            Setting::Statement { key, value } => format!("--set {key}={value}"),
            Setting::Param { name, value } => format!("--param {name}={value}"),
        }
    }
}

/// Whether `name` can name a parameter as far as its letters go (a letter or `_`, then letters,
/// digits or `_`); the grammar refuses keywords besides.
pub fn is_parameter_name(name: &str) -> bool {
    name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The model's text with the settings appended, each after a comment that names its flag. A key
/// that names no block is reported with the flag.
pub fn with_settings(text: &str, settings: &[Setting]) -> Result<String, String> {
    let mut out = text.to_string();
    if !settings.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    for setting in settings {
        let (key, value) = match setting {
            Setting::Statement { key, value } => (key, value),
            Setting::Param { name, value } => {
                if !is_parameter_name(name) {
                    return Err(format!("--param {name}={value}: `{name}` is not a parameter name"));
                }
                out.push_str(&format!("# --param {name}={value}\nparam {name} = {value}\n"));
                continue;
            }
        };
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
            (_, Item::Param(set)) => {
                match file
                    .items
                    .iter()
                    .position(|i| matches!(i, Item::Param(p) if p.name.node == set.name.node))
                {
                    Some(k) => file.items[k] = Item::Param(set),
                    None => {
                        let names: Vec<&str> = file
                            .items
                            .iter()
                            .filter_map(|i| match i {
                                Item::Param(p) => Some(p.name.node.as_str()),
                                _ => None,
                            })
                            .collect();
                        let hint = match nearest(&set.name.node, names.iter().copied()) {
                            Some(k) => format!("did you mean `{k}`?"),
                            None if names.is_empty() => "the model declares no parameters".to_string(),
                            None => format!("its parameters are {}", names.join(", ")),
                        };
                        errors.push(
                            Diagnostic::error(
                                set.name.span,
                                format!("the model has no parameter `{}`", set.name.node),
                            )
                            .with_label("from --param")
                            .with_hint(hint),
                        );
                    }
                }
            }
            (Some(Item::Network(own)), Item::Network(set)) => {
                replace(&mut own.stmts, set.stmts, |a, b| discriminant(a) == discriminant(b))
            }
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

/// Adds to each diagnostic that shows a parameter's value which `--param` gave it: the value is the
/// flag's, though the diagnostic points into the model's own text.
pub fn name_overridden_params(file: &SourceFile, file_len: usize, diags: &mut [Diagnostic]) {
    let overridden = file.items.iter().filter_map(|i| match i {
        Item::Param(p) if p.span.start >= file_len => Some(p),
        _ => None,
    });
    for p in overridden {
        let shows = format!("{} = ", p.name.node);
        let flag = format!("--param {}={}", p.name.node, p.value.node.text);
        for d in diags.iter_mut().filter(|d| d.span.end <= file_len) {
            let mentions = d.message.contains(&shows) || d.hints.iter().any(|h| h.contains(&shows));
            if mentions {
                d.hints.push(format!("`{}` is set by `{flag}` on the command line", p.name.node));
            }
        }
    }
}

/// Whether a diagnostic points into the appended settings (for a hint that names the flag).
pub fn in_settings(d: &Diagnostic, file_len: usize) -> bool {
    !d.span.is_detached() && d.span.start >= file_len
}
