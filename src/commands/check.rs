//! `cnr check`: each model checked, and a summary of it.

use super::{compile, ModelFile};
use crate::cli::OverrideArgs;
use crate::output::{out, Failed};
use crate::report;
use cnr_driver::{Compiled, Purpose};
use std::path::PathBuf;

pub fn run(files: &[PathBuf], overrides: &OverrideArgs) -> Result<(), Failed> {
    let mut failed = false;
    for (k, path) in files.iter().enumerate() {
        let checked = ModelFile::read(path).and_then(|model| {
            let compiled = compile(&model.request(overrides), Purpose::Whole)?;
            Ok((model, compiled))
        });
        match checked {
            Ok((model, compiled)) => {
                if k > 0 {
                    out("\n")?;
                }
                let definition = definition(&compiled);
                out(&report::summary(&model.name, &compiled.model, &compiled.plan, definition.as_deref()))?;
            }
            // A usage error is the flags', the same for every file: it ends the command.
            Err(Failed(2)) => return Err(Failed(2)),
            Err(_) => failed = true,
        }
    }
    if failed {
        Err(Failed(1))
    } else {
        Ok(())
    }
}

/// `NAME(VAR) = EXPR` of a user-defined activation, shown by the summary in place of its bare
/// name, which says nothing of the function: the `activation` statement as written (in the model
/// or in `--set`), its comments dropped and its spaces collapsed; `None` for a built-in one.
fn definition(compiled: &Compiled) -> Option<String> {
    let span = &compiled.model.spans.activation;
    let written = compiled.sources.text().get(span.start..span.end)?;
    let flat: Vec<&str> = written
        .lines()
        .map(|line| line.split('#').next().unwrap_or(""))
        .flat_map(str::split_whitespace)
        .collect();
    let text = flat.join(" ");
    let text = text.strip_prefix("activation ")?;
    text.contains('=').then(|| text.to_string())
}
