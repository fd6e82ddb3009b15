//! `cnr data`: a model's samples as NumPy files, and the `data files` block that reads them back.

use super::{warn, ModelFile};
use crate::cli::OverrideArgs;
use crate::io;
use crate::output::{fail, failed, out, write_file, Failed};
use std::path::Path;

pub fn run(path: &Path, dir: &Path, overrides: &OverrideArgs) -> Result<(), Failed> {
    let model = ModelFile::read(path)?;
    let (compiled, export) = cnr_driver::export_data(&model.request(overrides)).map_err(fail)?;
    warn(&compiled.render_warnings())?;
    std::fs::create_dir_all(dir).map_err(|e| {
        failed(&format!("cannot create the folder `{}`: {}", dir.display(), io::describe_write(dir, &e)))
    })?;
    for (name, _) in &export.files {
        model.guard(&dir.join(name))?;
    }
    for (name, bytes) in &export.files {
        write_file(&dir.join(name), bytes)?;
    }
    out(&export.block)
}
