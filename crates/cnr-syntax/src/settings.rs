//! Settings: `--set BLOCK.STATEMENT=VALUE` and `--param NAME=VALUE` (a statement of `network`,
//! `relax`, `solver` or `data planted`, or a parameter's value) checked exactly as the same text
//! in the file would be; `--samples`, `--seed` and `--noise` as the checker's overrides.
//!
//! Each statement or parameter becomes a text of its own, `BLOCK { STATEMENT VALUE }` or
//! `param NAME = VALUE`, a region of [`Sources`] named by its flag. The texts are parsed together;
//! then each setting's block replaces the statements of the same kind in the file's block (or
//! stays, when the file has none), and a parameter replaces the file's declaration in place. Every
//! diagnostic therefore points into a real text: the file's, or the setting's, shown with its flag.

use crate::ast::{Item, RelaxStmt, SourceFile};
use crate::{nearest, Diagnostic, Sources};
use std::mem::discriminant;

/// A change to a model, as the command line's flags make them: each is checked as if it were
/// written in the model, and a diagnostic about it names its flag.
#[derive(Clone, Debug, PartialEq)]
pub enum Setting {
    /// `--samples N`: the number of samples (the first `N` of files or arrays).
    Samples(u64),
    /// `--seed S`: the planted data's seed.
    Seed(u64),
    /// `--noise X`: the planted labels' noise.
    Noise(f64),
    /// `--param NAME=VALUE`: a parameter's value, as written after `=` (it may use the parameters
    /// declared before it).
    Param {
        /// The parameter's name.
        name: String,
        /// Its value.
        value: String,
    },
    /// `--set BLOCK.STATEMENT=VALUE`: a statement of `network`, `relax`, `solver` or `data planted`.
    Statement {
        /// `BLOCK.STATEMENT`.
        key: String,
        /// The statement's value, as it would be written in the block.
        value: String,
    },
    /// `--unset BLOCK.STATEMENT`: the model's statement of that kind removed (`relax.penalty`).
    Unset {
        /// `BLOCK.STATEMENT`.
        key: String,
    },
}

impl Setting {
    /// The flag that makes this setting, as a user types it.
    pub fn flag(&self) -> String {
        match self {
            Setting::Samples(n) => format!("--samples {n}"),
            Setting::Seed(s) => format!("--seed {s}"),
            Setting::Noise(x) => format!("--noise {x}"),
            Setting::Statement { key, value } => format!("--set {key}={value}"),
            Setting::Param { name, value } => format!("--param {name}={value}"),
            Setting::Unset { key } => format!("--unset {key}"),
        }
    }
}

/// A setting that cannot be made: its flag, and why (a usage error of the caller).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SettingError(pub String);

/// The blocks `--set` reaches, by the key's first part, and how they are written.
const BLOCKS: &[(&str, &str)] = &[
    ("network", "network"),
    ("relax", "relax"),
    ("learn", "learn"),
    ("solver", "solver"),
    ("data", "data planted"),
];

/// The statements of `data files`: `--set data.inputs="x.npy"` writes that block, the other `data`
/// statements `data planted`.
const FILE_STATEMENTS: &[&str] = &["inputs", "labels", "planted", "test"];

/// Whether `name` can name a parameter as far as its letters go (a letter or `_`, then letters,
/// digits or `_`); the grammar refuses keywords besides.
pub fn is_parameter_name(name: &str) -> bool {
    name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The model's text with the settings' texts beside it (the overrides `--samples`, `--seed` and
/// `--noise` are not texts: the checker takes them, and they are skipped here). A key that names no
/// block is a usage error that names the flag. Parameters come first, since a statement may use them.
pub fn apply(sources: &mut Sources, settings: &[Setting]) -> Result<Vec<Unset>, SettingError> {
    let mut unsets = Vec::new();
    let params = settings.iter().filter(|s| matches!(s, Setting::Param { .. }));
    let others = settings.iter().filter(|s| !matches!(s, Setting::Param { .. }));
    for setting in params.chain(others) {
        let flag = setting.flag();
        if let Setting::Param { value, .. } | Setting::Statement { value, .. } = setting {
            // A value is one value: a line break, a brace or a comment would let it write more
            // of the model than the statement it names.
            if let Some(c) = value.chars().find(|c| matches!(c, '\n' | '\r' | '{' | '}' | '#')) {
                return Err(SettingError(format!(
                    "{flag}: the value may not contain {}; a setting sets one statement",
                    match c {
                        '\n' | '\r' => "a line break".to_string(),
                        other => format!("`{other}`"),
                    }
                )));
            }
        }
        let text = match setting {
            Setting::Samples(_) | Setting::Seed(_) | Setting::Noise(_) => continue,
            Setting::Param { name, value } => {
                if !is_parameter_name(name) {
                    return Err(SettingError(format!("{flag}: `{name}` is not a parameter name")));
                }
                format!("param {name} = {value}")
            }
            Setting::Statement { key, value } => statement_text(key, value, &flag)?,
            Setting::Unset { key } => {
                // The key is checked as `--set`'s is; the removal happens on the parsed file.
                let written = statement_text(key, "0", &flag)?;
                let block = written.split(" {").next().unwrap_or_default().to_string();
                let statement = key.split_once('.').map_or(String::new(), |(_, s)| s.to_string());
                unsets.push(Unset { block, statement, flag });
                continue;
            }
        };
        sources.push_setting(flag, &text);
    }
    Ok(unsets)
}

/// A statement to remove from the model: its block as written (`relax`, `data planted`), its
/// keyword, and the flag that asks for it.
#[derive(Clone, Debug)]
pub struct Unset {
    block: String,
    statement: String,
    flag: String,
}

/// Removes the statements `unsets` name from the model's own blocks (before `file_len`): a
/// statement is recognised by its first word in the model's text. One that the model does not have is a usage error.
pub fn remove(
    mut file: SourceFile,
    text: &str,
    file_len: usize,
    unsets: &[Unset],
) -> Result<SourceFile, SettingError> {
    fn keep<S>(stmts: &mut Vec<crate::Spanned<S>>, text: &str, keyword: &str) -> usize {
        let before = stmts.len();
        stmts.retain(|s| {
            let written = text.get(s.span.start..s.span.end.min(text.len())).unwrap_or_default();
            written.split_whitespace().next() != Some(keyword)
        });
        before - stmts.len()
    }
    for unset in unsets {
        let mut removed = 0;
        // The model's own blocks only: the settings' blocks come after `file_len`.
        for item in file.items.iter_mut().filter(|i| i.span().start < file_len) {
            removed += match (item, unset.block.as_str()) {
                (Item::Network(b), "network") => keep(&mut b.stmts, text, &unset.statement),
                (Item::Relax(b), "relax") => keep(&mut b.stmts, text, &unset.statement),
                (Item::Learn(b), "learn") => keep(&mut b.stmts, text, &unset.statement),
                (Item::Solver(b), "solver") => keep(&mut b.stmts, text, &unset.statement),
                (Item::PlantedData(b), "data planted") => keep(&mut b.stmts, text, &unset.statement),
                (Item::FileData(b), "data files") => keep(&mut b.stmts, text, &unset.statement),
                _ => 0,
            };
        }
        if removed == 0 {
            return Err(SettingError(format!(
                "{}: the model has no `{}` statement in its `{}` block",
                unset.flag, unset.statement, unset.block
            )));
        }
    }
    Ok(file)
}

/// The block a `--set KEY=VALUE` writes: `BLOCK { STATEMENT VALUE }`.
fn statement_text(key: &str, value: &str, flag: &str) -> Result<String, SettingError> {
    let Some((block, statement)) = key.split_once('.') else {
        return Err(SettingError(format!(
            "{flag}: the key is BLOCK.STATEMENT, e.g. relax.anchor or solver.max_iter"
        )));
    };
    let Some((_, written)) = BLOCKS.iter().find(|(name, _)| *name == block) else {
        let names: Vec<&str> = BLOCKS.iter().map(|b| b.0).collect();
        return Err(SettingError(format!(
            "{flag}: `{block}` is not a block --set reaches ({})",
            names.join(", ")
        )));
    };
    if statement.is_empty() || !statement.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(SettingError(format!("{flag}: `{statement}` is not a statement name")));
    }
    let written =
        if block == "data" && FILE_STATEMENTS.contains(&statement) { "data files" } else { written };
    Ok(format!("{written} {{ {statement} {value} }}"))
}

/// Merges the settings' blocks (those starting at or after `file_len`, where the model's own text
/// ends) into the file's own blocks of the same kind.
pub fn merge(mut file: SourceFile, file_len: usize) -> Result<SourceFile, Vec<Diagnostic>> {
    let appended: Vec<Item> = file.items.iter().filter(|i| i.span().start >= file_len).cloned().collect();
    file.items.retain(|i| i.span().start < file_len);
    let mut errors = Vec::new();
    let reads_files = file.items.iter().any(|i| matches!(i, Item::FileData(_)));
    let draws = file.items.iter().any(|i| matches!(i, Item::PlantedData(_)));
    for item in appended {
        let statements = match &item {
            Item::Network(b) => b.stmts.len(),
            Item::Relax(b) => b.stmts.len(),
            Item::Learn(b) => b.stmts.len(),
            Item::Solver(b) => b.stmts.len(),
            Item::PlantedData(b) => b.stmts.len(),
            Item::FileData(b) => b.stmts.len(),
            _ => 1,
        };
        if statements != 1 {
            errors.push(
                Diagnostic::error(
                    item.span(),
                    format!("this setting makes {statements} statements, not one"),
                )
                .with_label("one statement expected")
                .with_hint("give each statement its own --set"),
            );
            continue;
        }
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
                    |s: &RelaxStmt| matches!(s, RelaxStmt::AnchorNamed(..) | RelaxStmt::AnchorVector(_));
                discriminant(a) == discriminant(b) || (anchor(a) && anchor(b))
            }),
            (Some(Item::Learn(own)), Item::Learn(set)) => {
                replace(&mut own.stmts, set.stmts, |a, b| discriminant(a) == discriminant(b))
            }
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
            (Some(Item::FileData(own)), Item::FileData(set)) => {
                replace(&mut own.stmts, set.stmts, |a, b| discriminant(a) == discriminant(b))
            }
            (None, Item::FileData(set)) if draws => {
                errors.push(
                    Diagnostic::error(
                        set.span,
                        "--set data.… names a data file, and this model draws planted data",
                    )
                    .with_label("from --set")
                    .with_hint("write a `data files { inputs … labels … }` block in the model instead of `data planted`"),
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
fn replace<S>(own: &mut Vec<crate::Spanned<S>>, set: Vec<crate::Spanned<S>>, same: impl Fn(&S, &S) -> bool) {
    for s in set {
        own.retain(|o| !same(&o.node, &s.node));
        own.push(s);
    }
}

/// Adds to each diagnostic that shows a parameter's value which `--param` gave it: the value is the
/// flag's, though the diagnostic points into the model's own text. Adds to each diagnostic about a
/// setting's text the flag it comes from.
pub fn name_flags(file: Option<&SourceFile>, sources: &Sources, diags: &mut [Diagnostic]) {
    let file_len = sources.model_end();
    for d in diags.iter_mut() {
        if let Some(flag) = sources.flag_at(d.span) {
            d.hints.push(format!("this comes from `{flag}` on the command line"));
        }
    }
    let Some(file) = file else { return };
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

#[cfg(test)]
mod tests {
    use super::*;

    const MODEL: &str = "param d = 8\nnetwork { input 2*d conv kernel d stride d activation relu output ones }\nrelax { anchor data penalty l1 1 }\n";

    /// The model with `settings` joined in, as the formatter writes it, or the error's words.
    fn joined(settings: &[Setting]) -> Result<String, String> {
        let mut sources = Sources::model("m.cnr", MODEL);
        let unsets = apply(&mut sources, settings).map_err(|e| e.to_string())?;
        let file = crate::parse(sources.text()).map_err(|d| d.message.clone())?;
        let file = remove(file, sources.text(), sources.model_end(), &unsets).map_err(|e| e.to_string())?;
        let file = merge(file, sources.model_end()).map_err(|d| format!("{d:?}"))?;
        Ok(crate::format(&file))
    }

    fn set(key: &str, value: &str) -> Setting {
        Setting::Statement { key: key.into(), value: value.into() }
    }

    #[test]
    fn a_statement_replaces_the_files_statement_of_its_kind_and_keeps_the_rest() {
        let text = joined(&[set("relax.anchor", "lstsq")]).unwrap();
        assert!(text.contains("anchor lstsq") && !text.contains("anchor data"), "{text}");
        assert!(text.contains("penalty l1 1"), "{text}");
    }

    #[test]
    fn a_parameter_replaces_its_declaration_in_place() {
        let text = joined(&[Setting::Param { name: "d".into(), value: "16".into() }]).unwrap();
        assert!(text.starts_with("param d = 16"), "{text}");
        assert!(!text.contains("param d = 8"), "{text}");
    }

    #[test]
    fn unset_removes_a_statement_and_says_when_there_is_none() {
        let text = joined(&[Setting::Unset { key: "relax.penalty".into() }]).unwrap();
        assert!(!text.contains("penalty"), "{text}");
        let err = joined(&[Setting::Unset { key: "solver.max_iter".into() }]).unwrap_err();
        assert!(err.starts_with("--unset solver.max_iter: the model has no `max_iter`"), "{err}");
    }

    #[test]
    fn a_value_that_would_write_more_than_its_statement_is_refused_with_its_flag() {
        let err = joined(&[set("relax.anchor", "data } network {")]).unwrap_err();
        assert!(
            err.starts_with("--set relax.anchor=data } network {: the value may not contain `}`"),
            "{err}"
        );
        let err = joined(&[set("anchor", "data")]).unwrap_err();
        assert!(err.contains("BLOCK.STATEMENT"), "{err}");
        let err = joined(&[Setting::Param { name: "2d".into(), value: "1".into() }]).unwrap_err();
        assert!(err.contains("not a parameter name"), "{err}");
    }

    #[test]
    fn overrides_are_no_text() {
        let before = joined(&[]).unwrap();
        assert_eq!(joined(&[Setting::Samples(3), Setting::Seed(1), Setting::Noise(0.1)]).unwrap(), before);
    }
}
