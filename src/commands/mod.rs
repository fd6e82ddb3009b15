//! One module per command. Each body is the same four steps: read the flags and files, build a
//! request, call the driver, show what it returns.

pub mod check;
pub mod compile;
pub mod data;
pub mod eval;
pub mod fmt;
pub mod predict;
pub mod solve;
pub mod sweep;

use crate::cli::OverrideArgs;
use crate::io::DiskFiles;
use crate::output::{err, fail, read_text, Failed};
use cnr_driver::{Compiled, Limits, Purpose, Request};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

/// Whether `--deny-warnings` was given: set once in `main`, read where models are compiled.
pub static DENY_WARNINGS: AtomicBool = AtomicBool::new(false);

/// A model file: its text, its names and its folder, from which its data files are read.
pub struct ModelFile {
    /// The path as given.
    pub path: PathBuf,
    /// The path as the user gave it, the name diagnostics show.
    pub name: String,
    /// The file's stem, the model's name when it declares none.
    pub stem: String,
    /// The text.
    pub text: String,
    /// The data files, beside the model.
    pub files: DiskFiles,
}

impl ModelFile {
    /// Reads a model file.
    pub fn read(path: &Path) -> Result<ModelFile, Failed> {
        let text = read_text(path)?;
        Ok(ModelFile {
            path: path.to_path_buf(),
            name: path.display().to_string(),
            stem: path.file_stem().map_or("model".to_string(), |s| s.to_string_lossy().into_owned()),
            text,
            files: DiskFiles::beside(path),
        })
    }

    /// Refuses to write `output` when it is the model or a file the model read, by whatever path
    /// (a link, another name): writing it would destroy what the result came from.
    pub fn guard(&self, output: &Path) -> Result<(), Failed> {
        let read = self.files.read.lock().map(|r| r.clone()).unwrap_or_default();
        let inputs = std::iter::once(self.path.clone()).chain(read);
        for input in inputs {
            if crate::io::same_file(output, &input) {
                let what = if input == self.path {
                    "the model itself".to_string()
                } else {
                    format!("`{}`, which the model reads", input.display())
                };
                crate::output::err(&cnr_driver::plain_error(
                    &format!("`{}` is {what}; writing there would destroy it", output.display()),
                    Some("give the output another name"),
                ));
                return Err(Failed(1));
            }
        }
        Ok(())
    }

    /// The request for this model with the flags' settings and memory budget.
    pub fn request(&self, overrides: &OverrideArgs) -> Request<'_> {
        let mut request = Request::new(&self.text, &self.name).with_files(&self.files);
        request.default_name = &self.stem;
        request.settings = overrides.settings();
        request.limits = Limits { max_memory: overrides.max_memory, ..Limits::default() };
        request
    }
}

/// Compiles a request for `purpose`, showing the model's warnings (an error with
/// `--deny-warnings`).
pub fn compile(request: &Request, purpose: Purpose) -> Result<Compiled, Failed> {
    let compiled = cnr_driver::compile_for(request, purpose).map_err(fail)?;
    warn(&compiled.render_warnings())?;
    Ok(compiled)
}

/// Shows rendered warnings, if any; with `--deny-warnings` they fail the command.
pub fn warn(rendered: &str) -> Result<(), Failed> {
    if rendered.is_empty() {
        return Ok(());
    }
    err(rendered);
    if DENY_WARNINGS.load(Ordering::Relaxed) {
        err("error: warnings are denied (--deny-warnings)\n");
        return Err(Failed(1));
    }
    Ok(())
}
