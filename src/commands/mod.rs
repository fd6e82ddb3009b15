//! One module per command. Each body is the same four steps: read the flags and files, build a
//! request, call the driver, show what it returns.

pub mod check;
pub mod compile;
pub mod data;
pub mod eval;
pub mod fmt;
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
            name: path.display().to_string(),
            stem: path.file_stem().map_or("model".to_string(), |s| s.to_string_lossy().into_owned()),
            text,
            files: DiskFiles { base: path.parent().map_or(PathBuf::from("."), Path::to_path_buf) },
        })
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
