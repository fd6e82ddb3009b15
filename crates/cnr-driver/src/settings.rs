//! Settings: `--set BLOCK.STATEMENT=VALUE` and `--param NAME=VALUE` (a statement of `network`,
//! `relax`, `solver` or `data planted`, or a parameter's value) checked exactly as the same text
//! in the file would be; `--samples`, `--seed` and `--noise` as the checker's overrides.
//!
//! Each statement or parameter becomes a text of its own, `BLOCK { STATEMENT VALUE }` or
//! `param NAME = VALUE`, a region of [`Sources`] named by its flag. The texts are parsed together;
//! then each setting's block replaces the statements of the same kind in the file's block (or
//! stays, when the file has none), and a parameter replaces the file's declaration in place. Every
//! diagnostic therefore points into a real text: the file's, or the setting's, shown with its flag.

use crate::{Error, Setting, Sources};
use cnr_check::Overrides;
use cnr_syntax::ast::{Item, RelaxStmt, SourceFile};
use cnr_syntax::{nearest, Diagnostic};
use std::mem::discriminant;

/// The blocks `--set` reaches, by the key's first part, and how they are written.
const BLOCKS: &[(&str, &str)] =
    &[("network", "network"), ("relax", "relax"), ("solver", "solver"), ("data", "data planted")];

/// The statements of `data files`: `--set data.inputs="x.npy"` writes that block, the other `data`
/// statements `data planted`.
const FILE_STATEMENTS: &[&str] = &["inputs", "labels", "planted", "test"];

/// Whether `name` can name a parameter as far as its letters go (a letter or `_`, then letters,
/// digits or `_`); the grammar refuses keywords besides.
pub fn is_parameter_name(name: &str) -> bool {
    name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The model's text with the settings' texts beside it, and the overrides the other settings make.
/// A key that names no block is a usage error that names the flag. Parameters come first, since a
/// statement may use them.
pub(crate) fn apply(
    sources: &mut Sources,
    overrides: &mut Overrides,
    settings: &[Setting],
) -> Result<Vec<Unset>, Error> {
    let mut unsets = Vec::new();
    let params = settings.iter().filter(|s| matches!(s, Setting::Param { .. }));
    let others = settings.iter().filter(|s| !matches!(s, Setting::Param { .. }));
    for setting in params.chain(others) {
        let flag = setting.flag();
        if let Setting::Param { value, .. } | Setting::Statement { value, .. } = setting {
            // A value is one value: a line break, a brace or a comment would let it write more
            // of the model than the statement it names.
            if let Some(c) = value.chars().find(|c| matches!(c, '\n' | '\r' | '{' | '}' | '#')) {
                return Err(Error::Usage(format!(
                    "{flag}: the value may not contain {}; a setting sets one statement",
                    match c {
                        '\n' | '\r' => "a line break".to_string(),
                        other => format!("`{other}`"),
                    }
                )));
            }
        }
        let text = match setting {
            Setting::Samples(n) => {
                overrides.samples = Some(usize::try_from(*n).unwrap_or(usize::MAX));
                continue;
            }
            Setting::Seed(s) => {
                overrides.seed = Some(*s);
                continue;
            }
            Setting::Noise(x) => {
                overrides.noise = Some(*x);
                continue;
            }
            Setting::Param { name, value } => {
                if !is_parameter_name(name) {
                    return Err(Error::Usage(format!("{flag}: `{name}` is not a parameter name")));
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
pub(crate) struct Unset {
    block: String,
    statement: String,
    flag: String,
}

/// Removes the statements `unsets` name from the model's own blocks (before `file_len`): a
/// statement is recognised by its first word in the model's text. One that the model does not have is a usage error.
pub(crate) fn remove(
    mut file: SourceFile,
    text: &str,
    file_len: usize,
    unsets: &[Unset],
) -> Result<SourceFile, Error> {
    fn keep<S>(stmts: &mut Vec<cnr_syntax::Spanned<S>>, text: &str, keyword: &str) -> usize {
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
                (Item::Solver(b), "solver") => keep(&mut b.stmts, text, &unset.statement),
                (Item::PlantedData(b), "data planted") => keep(&mut b.stmts, text, &unset.statement),
                (Item::FileData(b), "data files") => keep(&mut b.stmts, text, &unset.statement),
                _ => 0,
            };
        }
        if removed == 0 {
            return Err(Error::Usage(format!(
                "{}: the model has no `{}` statement in its `{}` block",
                unset.flag, unset.statement, unset.block
            )));
        }
    }
    Ok(file)
}

/// The block a `--set KEY=VALUE` writes: `BLOCK { STATEMENT VALUE }`.
fn statement_text(key: &str, value: &str, flag: &str) -> Result<String, Error> {
    let Some((block, statement)) = key.split_once('.') else {
        return Err(Error::Usage(format!(
            "{flag}: the key is BLOCK.STATEMENT, e.g. relax.anchor or solver.max_iter"
        )));
    };
    let Some((_, written)) = BLOCKS.iter().find(|(name, _)| *name == block) else {
        let names: Vec<&str> = BLOCKS.iter().map(|b| b.0).collect();
        return Err(Error::Usage(format!(
            "{flag}: `{block}` is not a block --set reaches ({})",
            names.join(", ")
        )));
    };
    if statement.is_empty() || !statement.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(Error::Usage(format!("{flag}: `{statement}` is not a statement name")));
    }
    let written =
        if block == "data" && FILE_STATEMENTS.contains(&statement) { "data files" } else { written };
    Ok(format!("{written} {{ {statement} {value} }}"))
}

/// Merges the settings' blocks (those starting at or after `file_len`, where the model's own text
/// ends) into the file's own blocks of the same kind.
pub(crate) fn merge(mut file: SourceFile, file_len: usize) -> Result<SourceFile, Vec<Diagnostic>> {
    let appended: Vec<Item> = file.items.iter().filter(|i| i.span().start >= file_len).cloned().collect();
    file.items.retain(|i| i.span().start < file_len);
    let mut errors = Vec::new();
    let reads_files = file.items.iter().any(|i| matches!(i, Item::FileData(_)));
    let draws = file.items.iter().any(|i| matches!(i, Item::PlantedData(_)));
    for item in appended {
        let statements = match &item {
            Item::Network(b) => b.stmts.len(),
            Item::Relax(b) => b.stmts.len(),
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
/// flag's, though the diagnostic points into the model's own text. Adds to each diagnostic about a
/// setting's text the flag it comes from.
pub(crate) fn name_flags(file: Option<&SourceFile>, sources: &Sources, diags: &mut [Diagnostic]) {
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
