//! `cnr check`: each model checked, and a summary of it.

use super::{compile, ModelFile};
use crate::cli::OverrideArgs;
use crate::output::{out, Failed};
use crate::report;
use cnr_driver::Purpose;
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
                let definition = compiled.activation_definition();
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
